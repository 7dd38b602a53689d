// Types of src/cli/build.mjs (plain JavaScript: it runs before anything is compiled).

/** The repository root (with a trailing slash). */
export declare const ROOT: string;
/** Where builds go: `.build/` at the root, git-ignored. */
export declare const BUILD_DIR: string;
/** The newest modification time (ms) of the sources a build is made from. */
export declare function newestSource(): number;
/** The entry file of the current build, or undefined when there is none or it is stale. */
export declare function currentBuild(): string | undefined;
/** Builds now and publishes the build; returns its entry file. */
export declare function build(): Promise<string>;
/** The current build's entry file, building first when it is missing or stale. */
export declare function ensureBuilt(): Promise<string>;
/** The entry as a URL to import(). */
export declare function entryUrl(entry: string): string;
