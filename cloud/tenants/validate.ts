// Checks of operator input, done before anything is written.
import { sanitizeText, textLimits, textProblem } from '../../src/domain/bounds.ts';
import { isTimeZone } from '../../src/domain/business-date.ts';
import { checkOrgId } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';

export function requireOrgId(value: unknown): string {
  const check = checkOrgId(value);
  if (!check.ok)
    throw new AppError(
      'invalid_input',
      `invalid org id ${JSON.stringify(String(value ?? ''))}: ${check.reason}`,
    );
  return check.orgId;
}

export function requireTimeZone(value: string): string {
  if (!isTimeZone(value)) {
    throw new AppError(
      'invalid_input',
      `unknown time zone ${JSON.stringify(value)}; use an IANA name such as Europe/Berlin`,
    );
  }
  return value;
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function requireCurrency(value: string): string {
  if (!/^[A-Z]{3}$/.test(value) || !CURRENCIES.has(value)) {
    throw new AppError(
      'invalid_input',
      `unknown currency ${JSON.stringify(value)}; use an ISO 4217 code such as EUR`,
    );
  }
  return value;
}

export function requireEmail(value: string): string {
  if (
    value.length > textLimits.person ||
    textProblem(value) !== undefined ||
    !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
  ) {
    throw new AppError('invalid_input', `invalid email "${sanitizeText(value, 300)}"`);
  }
  return value.toLowerCase();
}

export function requireName(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0)
    throw new AppError('invalid_input', 'a name is required (--name)');
  if (value.length > textLimits.name)
    throw new AppError('invalid_input', `name is longer than ${textLimits.name} characters`);
  const problem = textProblem(value);
  // Postgres refuses NUL in text: without this a control character in a name was a 500.
  if (problem !== undefined) throw new AppError('invalid_input', `name: ${problem}`);
  return value.trim();
}
