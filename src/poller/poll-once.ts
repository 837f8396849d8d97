// bench imports these; remove once bench/ imports the new modules.
export { SINCE_SAFETY_MARGIN_MS } from './timing.js';
