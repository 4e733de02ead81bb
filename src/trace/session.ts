/**
 * The trace flags of a command, put together: `--trace` streams the transcript to stderr, `--curl`
 * adds a curl command per request (alone, without --trace, it prints only those), `--har FILE`
 * writes the transcript at the end, and `--trace-secrets` shows secrets in all three (given alone,
 * it means `--trace --trace-secrets`), after a warning.
 */
import type { ChalkInstance } from 'chalk';
import { writeHar } from './har.js';
import { revealWarning, tracePrinter } from './print.js';
import { createRedactor } from './redact.js';
import { Transcript } from './transcript.js';

export interface TraceFlags {
  trace?: boolean;
  traceSecrets?: boolean;
  /** Where to write the HAR file (already resolved against the working folder). */
  har?: string;
  curl?: boolean;
}

export interface TraceOutput {
  /** stderr. */
  write: (text: string) => void;
  /** Ui.err. */
  chalk: ChalkInstance;
  /** HAR log.creator: the CLI's name and version. */
  creator: { name: string; version: string };
  /** HAR page title: "oauthd-cli login github". */
  title: string;
}

export interface TraceSession {
  transcript: Transcript;
  /** Writes the HAR file when --har was given (also after a failed flow: that is when it helps most). */
  finish(): Promise<void>;
}

/** A session for these flags, or undefined when none asks for a trace. */
export function openTraceSession(flags: TraceFlags, output: TraceOutput): TraceSession | undefined {
  const curl = flags.curl === true;
  const har = flags.har;
  const trace = flags.trace === true || (flags.traceSecrets === true && !curl && har === undefined);
  if (!trace && !curl && har === undefined) return undefined;

  const transcript = new Transcript({ redactor: createRedactor({ revealSecrets: flags.traceSecrets === true }) });
  if (flags.traceSecrets) output.write(revealWarning(output.chalk));
  if (trace || curl) {
    transcript.listen(tracePrinter(output.write, { chalk: output.chalk, trace, curl, startedAt: transcript.startedAt }));
  }
  return {
    transcript,
    finish: async () => {
      if (har !== undefined) await writeHar(har, transcript.events, { creator: output.creator, title: output.title });
    },
  };
}
