/**
 * The arithmetic of derived settings: numbers, variables (a setting's dotted path or an axis name),
 * + − × ÷, ^ for powers, parentheses and min/max/round/floor/ceil/sqrt/log/exp. Parsed once (so a
 * typo is reported with the spec, before any work), evaluated per run.
 */
import { UserError } from '../util/errors.js';

export type Expression =
  | { kind: 'number'; value: number }
  | { kind: 'variable'; name: string }
  | { kind: 'unary'; operand: Expression }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '^'; left: Expression; right: Expression }
  | { kind: 'call'; fn: string; args: Expression[] };

const FUNCTIONS: Record<string, (...xs: number[]) => number> = {
  min: Math.min,
  max: Math.max,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  sqrt: Math.sqrt,
  log: Math.log,
  exp: Math.exp,
};

const TOKEN = /\s*(?:(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|([A-Za-z_][\w.]*)|(\S))/gy;

/** Parses `text`; `where` names it in the message of a syntax error. */
export function parseExpression(text: string, where: string): Expression {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m && m[0].trim() !== ''; m = TOKEN.exec(text)) tokens.push(m[0].trim());
  let i = 0;
  const fail = (why: string): never => {
    throw new UserError(`${where}: cannot read "${text}": ${why}`, 'write e.g. "1 - (1 - prune)^(1/levels)"');
  };
  const peek = () => tokens[i];
  const expect = (t: string) =>
    tokens[i] === t ? i++ : fail(`expected "${t}" at "${tokens[i] ?? 'the end'}"`);
  const primary = (): Expression => {
    const t = tokens[i++];
    if (t === undefined) return fail('it ends too early');
    if (t === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t === '-') return { kind: 'unary', operand: power() };
    if (/^[\d.]/.test(t)) return { kind: 'number', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== '(') return { kind: 'variable', name: t };
      if (!FUNCTIONS[t]) fail(`unknown function ${t} (known: ${Object.keys(FUNCTIONS).join(', ')})`);
      i++;
      const args = [sum()];
      while (peek() === ',') {
        i++;
        args.push(sum());
      }
      expect(')');
      return { kind: 'call', fn: t, args };
    }
    return fail(`unexpected "${t}"`);
  };
  const power = (): Expression => {
    const base = primary();
    if (peek() !== '^') return base;
    i++;
    return { kind: 'binary', op: '^', left: base, right: power() }; // right-associative
  };
  const product = (): Expression => {
    let e = power();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[i++] as '*' | '/';
      e = { kind: 'binary', op, left: e, right: power() };
    }
    return e;
  };
  const sum = (): Expression => {
    let e = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[i++] as '+' | '-';
      e = { kind: 'binary', op, left: e, right: product() };
    }
    return e;
  };
  const e = sum();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return e;
}

/** The variables an expression reads. */
export function variablesOf(e: Expression): string[] {
  switch (e.kind) {
    case 'number':
      return [];
    case 'variable':
      return [e.name];
    case 'unary':
      return variablesOf(e.operand);
    case 'binary':
      return [...variablesOf(e.left), ...variablesOf(e.right)];
    case 'call':
      return e.args.flatMap(variablesOf);
  }
}

export function evaluate(e: Expression, lookup: (name: string) => number): number {
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'variable':
      return lookup(e.name);
    case 'unary':
      return -evaluate(e.operand, lookup);
    case 'call':
      return FUNCTIONS[e.fn](...e.args.map((a) => evaluate(a, lookup)));
    case 'binary': {
      const a = evaluate(e.left, lookup);
      const b = evaluate(e.right, lookup);
      if (e.op === '+') return a + b;
      if (e.op === '-') return a - b;
      if (e.op === '*') return a * b;
      if (e.op === '/') return a / b;
      return a ** b;
    }
  }
}
