import type { z } from 'zod';
import { type FieldError, UserError } from '../../exception';

/** Each zod issue as a bad field named from `part` down (`body.phone`, `request.user_type`). */
export function fieldErrors(part: string, error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/** The VALIDATION_FAILED error naming every bad field, as HTTP and Thrift both report it. */
export function validationFailed(fields: FieldError[]): UserError {
  const names = fields.map((f) => `${f.field} (${f.message})`).join(', ');
  return new UserError('VALIDATION_FAILED', { params: { fields: names }, fields });
}
