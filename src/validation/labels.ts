import { z } from 'zod'
import { LABEL_KEY, LABEL_VALUE_MAX, parseKeyValue, VISIBLE_TEXT } from '../units/index.js'

export const MAX_LABELS = 32

export const labelKey = z.string().regex(LABEL_KEY, {
  message: 'label keys are 1-63 characters: letters, digits and . _ / - (starting with a letter or digit)'
})
export const labelValue = z.string().max(LABEL_VALUE_MAX, { message: `label values are at most ${LABEL_VALUE_MAX} characters` })
  .regex(VISIBLE_TEXT, { message: 'label values may not hold control or invisible (format) characters' })

export const labelsSchema = z.record(labelKey, labelValue).refine(value => Object.keys(value).length <= MAX_LABELS, {
  message: `at most ${MAX_LABELS} labels`
})

/** `KEY=VALUE` text (a flag, a query parameter) as a checked [key, value] pair. */
export const labelSelector = z.string().max(200).transform((text, ctx) => {
  const pair = parseKeyValue(text)
  if (pair == null || !labelKey.safeParse(pair[0]).success || !labelValue.safeParse(pair[1]).success) {
    ctx.addIssue({ code: 'custom', message: `'${text}' is not KEY=VALUE (label keys are letters, digits and . _ / -)` })
    return z.NEVER
  }
  return pair as readonly [string, string]
})
