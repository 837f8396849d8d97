// A hidden prompt on the terminal: raw mode, nothing echoed, the answer ends with Enter.
// Only ever used when stdin is a TTY; a credential is never read from the command line.

export interface PromptIo {
  stdin: NodeJS.ReadStream;
  /** Prompts go to stderr, so stdout stays the report. */
  stderr: { write(text: string): unknown };
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = new Set(['\u007f', '\b']);

/** Reads one line without echoing it; undefined on Ctrl-C, or Ctrl-D on an empty line. */
export function readHidden(io: PromptIo, prompt: string): Promise<string | undefined> {
  const { stdin } = io;
  return new Promise((resolve) => {
    let value = '';
    const finish = (result: string | undefined): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      resolve(result);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ENTER.has(ch)) return finish(value);
        if (ch === CTRL_C || (ch === CTRL_D && value === '')) return finish(undefined);
        if (BACKSPACE.has(ch)) value = value.slice(0, -1);
        else if (ch === CTRL_U) value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    io.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * An offline token is a JWT of several hundred characters; a Red Hat login is short. So a long
 * answer, or one shaped like a JWT, is a token, and anything else a username (which may contain
 * dots, as in "jane.doe": a dot alone does not make a token).
 */
export const TOKEN_MIN_CHARS = 64;

export function looksLikeToken(text: string): boolean {
  return text.length >= TOKEN_MIN_CHARS || /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(text);
}
