// The zod pieces every boundary shares (config, API bodies and queries, records, run requests),
// built on the one parser per rule in units/.
export { describeIssues, parseWith } from './describe-issues.js'
export { sizeSchema, sizeText, sinceText, durationSchema, durationText, durationValue, hostPortSchema } from './units.js'
export { labelKey, labelValue, labelsSchema, labelSelector, MAX_LABELS } from './labels.js'
export { runtimeName } from './names.js'
export { queryFlag } from './query.js'
