// The import rules of DESIGN.md, enforced by `npm run lint` (dependency-cruiser reads the real
// resolved paths, so a rule cannot be dodged by writing an import differently).
//
//   envelope/, platform/          import nothing of ours
//   device-bundle/, kms-client/, hsm/   import only envelope/ and platform/
//   agent/, consumer/, provisioning/  import those five, never each other, kms-local/,
//                                 firmware-sim/ or bench/
//   kms-local/                    imports only envelope/ and platform/
//   firmware-sim/, bench/, test/  may import everything
//   nobody imports past another component's src/index.ts; a component's own tests (test/<name>/)
//   may import its internals, to unit-test them
const COMPONENTS =
  'envelope|platform|device-bundle|kms-client|hsm|agent|consumer|provisioning|files|kms-local|firmware-sim|bench'

module.exports = {
  forbidden: [
    {
      name: 'base-imports-nothing-of-ours',
      comment: 'envelope/ and platform/ import nothing of ours (DESIGN.md).',
      severity: 'error',
      from: { path: '^(envelope|platform)/src/' },
      to: { path: `^(${COMPONENTS})/`, pathNot: '^$1/' },
    },
    {
      name: 'shared-layer-imports-base-only',
      comment: 'device-bundle/, kms-client/ and hsm/ import only envelope/ and platform/.',
      severity: 'error',
      from: { path: '^(device-bundle|kms-client|hsm)/src/' },
      to: { path: `^(${COMPONENTS})/`, pathNot: ['^$1/', '^(envelope|platform)/'] },
    },
    {
      name: 'products-stay-apart',
      comment:
        'agent/, consumer/, provisioning/ and files/ never import each other, kms-local/, firmware-sim/ or bench/.',
      severity: 'error',
      from: { path: '^(agent|consumer|provisioning|files)/src/' },
      to: {
        path: `^(${COMPONENTS})/`,
        pathNot: ['^$1/', '^(envelope|platform|device-bundle|kms-client|hsm)/'],
      },
    },
    {
      name: 'kms-local-imports-base-only',
      comment: 'kms-local/ imports only envelope/ and platform/.',
      severity: 'error',
      from: { path: '^kms-local/src/' },
      to: { path: `^(${COMPONENTS})/`, pathNot: ['^kms-local/', '^(envelope|platform)/'] },
    },
    {
      name: 'no-deep-imports',
      comment: 'Another component is reached only through its src/index.ts.',
      severity: 'error',
      from: { path: `^(${COMPONENTS})/src/` },
      to: { path: `^(${COMPONENTS})/src/`, pathNot: ['^$1/', '^[a-z-]+/src/index\\.ts$'] },
    },
    {
      name: 'tests-deep-import-only-their-own-component',
      comment: 'test/<name>/ may import the internals of <name> only; others through index.ts.',
      severity: 'error',
      from: { path: `^test/(${COMPONENTS})/` },
      to: { path: `^(${COMPONENTS})/src/`, pathNot: ['^$1/', '^[a-z-]+/src/index\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|\\.tmp)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
