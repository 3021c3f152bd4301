import { z } from 'zod'

/** An OCI runtime's name as the engine knows it (`runc`, `runsc`). */
export const runtimeName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, { message: 'a runtime name such as runsc' })
