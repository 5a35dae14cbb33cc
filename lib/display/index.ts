// The display API: everything user code and lib/ need to publish rich output.
export { display, clearOutput, plotlyBundle, plotlyFallbackHtml, validateFigure, PLOTLY_MIME } from "./display.js";
export type { DisplayFunction, DisplayHandle, DisplayOptions } from "./display.js";
export { toMimeBundle, plainText, JUPYTER_DISPLAY } from "./mime.js";
export type { Displayable, MimeResult } from "./mime.js";
export { html, rawHtml, escapeHtml, Html } from "./escape.js";
export { tensorSummary, isTensorLike } from "./tensor-summary.js";
export type { TensorLike, TensorSummary, TensorSummaryOptions } from "./tensor-summary.js";
export { progressBar, progressText, progressHtml, formatDuration } from "./progress.js";
export type { ProgressBar, ProgressOptions, ProgressState, ProgressFields } from "./progress.js";
export { PROGRESS_METADATA_KEY, RUNS_PROGRESS_KIND, progressFromMetadata } from "./progress-report.js";
export type { ProgressReport } from "./progress-report.js";
export { throttle } from "./throttle.js";
export type { Throttle } from "./throttle.js";
export { figureSummaryHtml, figureSummaryText } from "./plotly-fallback.js";
export { figureSvg } from "./plotly-svg.js";
export type { SvgOptions } from "./plotly-svg.js";
export type { PlotlyFigure } from "./plotly-fallback.js";
export { setDisplaySink, currentDisplaySink, terminalSink, recordingSink } from "./sink.js";
export type { DisplaySink, MimeBundle, DisplayMetadata, RecordedDisplay } from "./sink.js";
export { comm, Comm, setCommTransport, deliverCommOpen, deliverCommMsg, deliverCommClose } from "./comm.js";
export type {
  CommApi,
  CommData,
  CommMessage,
  CommTransport,
  CommTargetHandler,
  CommMsgHandler,
  CommCloseHandler,
} from "./comm.js";
export { DISPLAY_HANDLE, isDisplayHandle } from "./display.js";
