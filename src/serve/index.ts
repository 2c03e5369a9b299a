// Serving saved models over HTTP: `trunkline serve`, its pieces for library use, and the
// feedback log reader.
export { serve, buildServer, type ModelSource } from './server.js';
export type { ServeOptions } from './options.js';
export { ServedModel } from './model.js';
export type { RowAnswer, TaskAnswer } from './outputs.js';
export { readFeedback, feedbackFiles, feedbackColumns, type FeedbackEntry, type FeedbackRead } from './feedback-read.js';
export { FeedbackLog, cutTornTail, feedbackFileName } from './feedback-log.js';
export { abReport, formatAbReport, type AbReport } from './ab-report.js';
export { readFeedbackTable, feedbackToCsv } from './feedback-table.js';
