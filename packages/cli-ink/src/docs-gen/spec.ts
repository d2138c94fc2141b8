/**
 * A neutral description of the command line, independent of commander, from which the man page
 * and the shell completion scripts are generated: one source, so they cannot drift apart.
 */
export interface OptionSpec {
  /** Long form with dashes, e.g. `--output`. */
  long: string;
  /** Short form with its dash, e.g. `-o`. */
  short?: string;
  /** Name of the value the option takes (`FILE`, `URL`); none for a flag. */
  valueName?: string;
  /** The only values accepted, when the set is closed (completed as words). */
  choices?: readonly string[];
  /** The value is a file or folder path (completed as file names). */
  valueIsPath?: boolean;
  description: string;
}

export interface ArgumentSpec {
  name: string;
  description?: string;
  optional?: boolean;
  variadic?: boolean;
  /** The only values accepted (completed as words). */
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  /** One line, shown in lists. */
  summary: string;
  /** Paragraphs for the man page, when the summary is not enough. */
  description?: readonly string[];
  options?: readonly OptionSpec[];
  arguments?: readonly ArgumentSpec[];
  subcommands?: readonly CommandSpec[];
}
