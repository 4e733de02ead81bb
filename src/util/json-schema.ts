/**
 * JSON Schema validation with ajv, reporting each problem as a JSON Pointer and a sentence.
 * One place builds ajv so config files, provider files and tests all read errors the same way.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';

export interface SchemaProblem {
  /** JSON Pointer to the offending value ("" for the document itself). */
  path: string;
  message: string;
}

// ajv-formats is CommonJS with a default export that TypeScript sees as the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let shared: Ajv | undefined;
function ajv(): Ajv {
  if (!shared) {
    shared = new Ajv({ allErrors: true, strict: false });
    addFormats(shared);
  }
  return shared;
}

export function compileValidator(schema: TSchema): (value: unknown) => SchemaProblem[] {
  const validate = ajv().compile(schema);
  return (value) => (validate(value) ? [] : simplify(validate.errors ?? []));
}

/** ajv reports every failed branch of a union; keep the errors a person can act on. */
function simplify(errors: ErrorObject[]): SchemaProblem[] {
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
  // A union of literals fails once per literal; say it once, as a list.
  const allowed = new Map<string, unknown[]>();
  for (const error of specific) {
    if (error.keyword === 'const') {
      const list = allowed.get(error.instancePath) ?? [];
      list.push((error.params as { allowedValue: unknown }).allowedValue);
      allowed.set(error.instancePath, list);
    }
  }
  for (const error of specific.length > 0 ? specific : errors) {
    const choices = allowed.get(error.instancePath);
    const message =
      error.keyword === 'const' && choices
        ? `must be one of ${choices.map((v) => JSON.stringify(v)).join(', ')}`
        : describe(error);
    const problem = { path: error.instancePath, message };
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `has an unknown field "${String(params.additionalProperty)}"`;
    case 'required':
      return `is missing the required field "${String(params.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'pattern':
      return `must match ${String(params.pattern)}`;
    default:
      return error.message ?? error.keyword;
  }
}
