/** Every error answer of the control API: a stable code (see src/errors.ts) and one line for people. */
export interface ApiErrorBody {
  error: { code: string, message: string }
}
