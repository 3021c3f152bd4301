// Records' errors live with the others (src/errors.ts), so that they cross the API as typed errors.
export { InvalidRecordError } from '../errors.js'
export type { RecordRejection } from '../errors.js'
