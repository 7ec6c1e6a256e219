import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as envelope from '../../envelope/src/index.ts'
import { repoRoot } from '../helpers/vectors.ts'

// Docs and TSDoc examples must describe the current API: no renamed or removed name survives.
const REMOVED = [
  'EpochKeyCache', // → EpochKeyStore
  'MemoryEpochKeyCache', // → MemoryEpochKeyStore
  'defaultKeyCacheEntries', // → defaultKeyStoreEntries
  'key_cache', // → epoch_key_store.ts
  'opener.cache', // → opener.store
  'cache.set', // the store has put
  'performance.now', // the clock is `now`, ms since 1970, default Date.now
]

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  )
}

describe('envelope docs', () => {
  const docs = [
    ...files(join(repoRoot, 'envelope/src')).filter((f) => f.endsWith('.ts')),
    join(repoRoot, 'envelope/README.md'),
  ]

  it.each(REMOVED)('no source comment or README names the removed %s', (name) => {
    const hits = docs.filter((f) => readFileSync(f, 'utf8').includes(name))
    expect(hits.map((f) => relative(repoRoot, f))).toEqual([])
  })

  it('the API names the README and the index example use are exported', () => {
    for (const name of [
      'Opener',
      'Sealer',
      'createKeyWrapper',
      'createLocalUnwrap',
      'parseRecipientKey',
      'MemoryEpochKeyStore',
      'deriveEpochKeys',
      'EnvelopeError',
      'KeyRejectedError',
    ]) {
      expect(typeof (envelope as Record<string, unknown>)[name], name).toBe('function')
    }
  })
})
