/**
 * Every failure a user can cause or fix is a MoefyError: it carries the one-line message the CLI prints and the
 * exit code of DESIGN.md §2. Anything else reaching bin.ts is a bug (exit 3).
 */
export const EXIT = { ok: 0, checkFailed: 1, input: 2, internal: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export abstract class MoefyError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags, recipes, files or references: the user can fix it. */
export class InputError extends MoefyError {
  readonly exitCode = EXIT.input;
}

/** A safetensors/index/config file that breaks its format or our limits. `file` names the offender. */
export class CheckpointFormatError extends InputError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Recipe validation: every problem at once, one `path (line:col): message` per line. */
export class RecipeError extends InputError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid recipe\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Hub, network, auth and cache failures: names the repo/file and what to do. */
export class HubError extends InputError {}

/** The output or cache directory cannot be written as asked (exists without --force, disk full, permissions). */
export class OutputError extends InputError {}

/** An ONNX Runtime problem the user can act on (missing CUDA build, unsupported device). */
export class RuntimeSetupError extends InputError {}

/** `moefy check` found a regression. */
export class CheckFailedError extends MoefyError {
  readonly exitCode = EXIT.checkFailed;
}

/** An invariant of ours broke: a bug, reported with exit 3. */
export class InternalError extends MoefyError {
  readonly exitCode = EXIT.internal;
}
