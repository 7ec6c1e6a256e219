/**
 * The operation registry: `X-Amz-Target: TrentService.<name>` → handler. Adding an operation is
 * one handler file plus one line here.
 *
 * @example
 * ```ts
 * const op = lookup(OPERATIONS, 'Decrypt') // the Decrypt handler, or undefined
 * ```
 */
import { table } from '../_table.ts'
import { cancelKeyDeletion } from './cancel_key_deletion.ts'
import { createAlias } from './create_alias.ts'
import { createKey } from './create_key.ts'
import { decrypt } from './decrypt.ts'
import { describeKey } from './describe_key.ts'
import { disableKey } from './disable_key.ts'
import { enableKey } from './enable_key.ts'
import { encrypt } from './encrypt.ts'
import { getParametersForImport } from './get_parameters_for_import.ts'
import { getPublicKey } from './get_public_key.ts'
import { importKeyMaterial } from './import_key_material.ts'
import { listAliases } from './list_aliases.ts'
import { listKeys } from './list_keys.ts'
import type { Operation } from './_operation.ts'
import { scheduleKeyDeletion } from './schedule_key_deletion.ts'

/** Every implemented operation, by name. */
export const OPERATIONS: Readonly<Record<string, Operation>> = table({
  CancelKeyDeletion: cancelKeyDeletion,
  CreateAlias: createAlias,
  CreateKey: createKey,
  Decrypt: decrypt,
  DescribeKey: describeKey,
  DisableKey: disableKey,
  EnableKey: enableKey,
  Encrypt: encrypt,
  GetParametersForImport: getParametersForImport,
  GetPublicKey: getPublicKey,
  ImportKeyMaterial: importKeyMaterial,
  ListAliases: listAliases,
  ListKeys: listKeys,
  ScheduleKeyDeletion: scheduleKeyDeletion,
} as Record<string, Operation>)

export type { Operation, OperationContext, OperationFamily, OperationOutput } from './_operation.ts'
