/** One `polar-kit` subcommand. Exit codes: 0 success, 1 failure at run time, 2 bad usage. */
export type CliCommand = {
  readonly help: string;
  run(args: string[]): Promise<number>;
};
