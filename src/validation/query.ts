import { z } from 'zod'

/** A yes/no query parameter as curl users write it: `?follow`, `?follow=true`, `?follow=1`. */
export const queryFlag = z.enum(['true', 'false', '1', '0', '']).optional().transform(v => v === 'true' || v === '1' || v === '')
