/**
 * `${NAME}` in a config node's field or credential: a reference to an environment variable, the
 * one rule for every config node (r2-bucket's keys, postgres's password, redis's URL, user and
 * password). envReference uses only what a browser has too: the editor's r2-bucket.html gets it
 * inlined through lib/upload/bucket-fields.ts.
 */

/**
 * NAME when `value` is `${NAME}`: a reference to an environment variable, which Node-RED expands in
 * a node's properties and credentials when it creates the node (and leaves as it is when NAME is
 * not set). The editor cannot know the value, so it leaves such a field to the check at deploy.
 */
export function envReference(value: unknown): string | undefined {
  return typeof value === 'string' ? /^\$\{(\S+)\}$/.exec(value.trim())?.[1] : undefined;
}

/**
 * `${NAME}` → the environment variable (undefined when it is not set); any other value as it is.
 * Config nodes apply it to what the runtime may not have expanded (credentials typed in an editor
 * dialog, a reference whose variable was set after the flow loaded).
 */
export function expandEnv(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = envReference(value);
  return name === undefined ? value : env[name];
}
