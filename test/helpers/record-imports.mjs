// A module hook for tests: `node --import ./test/helpers/record-imports.mjs …` prints, on stderr, one
// line `imported <package>` for every bare specifier (a package, not node: or a relative path) resolved.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (!/^(\\.|\\/|node:|file:|data:)/.test(specifier)) process.stderr.write('imported ' + specifier + '\\n');
  return resolved;
}`),
);
