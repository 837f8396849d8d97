// The `where` and `orderBy` arguments of the fake's RedHatSupportCase query, evaluated over the
// model as Salesforce's UI API does (/work/shared/reference/redhat-portal-api-v3.md §6.2):
// fields of one filter object, and operators of one field, all hold (AND); `and`/`or`/`not`
// combine filters; `like` takes % as the wildcard and ignores case (SOQL LIKE); dates are
// wrapped, `{gt: {value: "2026-12-03T09:00:00Z"}}`. graphql has already checked the input's
// types against the schema, so unknown keys cannot reach here (an omitted field is refused).
import { GraphQLError } from 'graphql';
import { caseCreatorName, productName, type CaseModel } from './fake-portal-model.js';

type FieldValue = string | number | boolean | null;

/** The filterable case fields, as the model holds them (dates in ms). */
const CASE_FIELDS: Record<string, (k: CaseModel) => FieldValue> = {
  Id: (k) => k.id,
  CaseNumber__c: (k) => k.number,
  Subject: (k) => k.summary,
  Status: (k) => k.status,
  Priority: (k) => k.severity,
  IsClosed: (k) => k.closed,
  LastModifiedDate: (k) => k.lastModifiedAt,
  CreatedDate: (k) => k.createdAt,
  AccessRestrictions__c: (k) => k.accessRestrictions,
};
/**
 * Parent records filtered by a field of theirs, `{Group__r: {Name: {eq: "…"}}}`; a case without
 * that parent reads null (so `eq` fails and `ne` holds, as SOQL does with null).
 */
const PARENT_FIELDS: Record<string, Record<string, (k: CaseModel) => FieldValue>> = {
  Product: { Name: (k) => productName(k) },
  Group__r: { Name: (k) => k.group ?? null },
  CreatedBy: { Name: (k) => caseCreatorName(k) },
  RedHatSupportRecordType: { Name: (k) => k.recordType },
};
const DATE_FIELDS = new Set(['LastModifiedDate', 'CreatedDate']);

export interface OrderKey {
  field: string;
  order: 'ASC' | 'DESC';
}

const entries = (value: unknown): [string, unknown][] =>
  typeof value === 'object' && value !== null ? Object.entries(value) : [];

function dateOperand(operand: unknown): number {
  const text = entries(operand).find(([key]) => key === 'value')?.[1];
  const ms =
    typeof text === 'string' ? Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) : NaN;
  if (Number.isNaN(ms)) {
    throw new GraphQLError(`Invalid DateTime value: ${JSON.stringify(operand)}`);
  }
  return ms;
}

function likePattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*');
  return new RegExp(`^${escaped}$`, 'is');
}

function operatorHolds(actual: FieldValue, operator: string, operand: unknown): boolean {
  const list: unknown[] = Array.isArray(operand) ? operand : [];
  switch (operator) {
    case 'eq':
      return actual === operand;
    case 'ne':
      return actual !== operand;
    case 'in':
      return list.includes(actual);
    case 'nin':
      return !list.includes(actual);
    case 'like':
      return typeof actual === 'string' && typeof operand === 'string'
        ? likePattern(operand).test(actual)
        : false;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof actual !== 'number' || typeof operand !== 'number') return false;
      return operator === 'gt'
        ? actual > operand
        : operator === 'gte'
          ? actual >= operand
          : operator === 'lt'
            ? actual < operand
            : actual <= operand;
    default:
      throw new GraphQLError(`Unsupported operator: ${operator}`);
  }
}

/** Whether the case passes the `where` filter (an absent filter passes everything). */
export function caseMatches(kase: CaseModel, where: unknown): boolean {
  return entries(where).every(([key, value]) => {
    if (value === undefined) return true;
    if (key === 'and') return entries(value).every(([, f]) => caseMatches(kase, f));
    if (key === 'or') {
      const alternatives = entries(value);
      return alternatives.length === 0 || alternatives.some(([, f]) => caseMatches(kase, f));
    }
    if (key === 'not') return value === null || !caseMatches(kase, value);
    const parent = PARENT_FIELDS[key];
    if (parent !== undefined) {
      return entries(value).every(([field, operators]) => {
        const readParent = parent[field];
        if (readParent === undefined) throw new GraphQLError(`Unsupported filter field: ${field}`);
        return fieldHolds(key, readParent(kase), operators);
      });
    }
    const read = CASE_FIELDS[key];
    if (read === undefined) throw new GraphQLError(`Unsupported filter field: ${key}`);
    return fieldHolds(key, read(kase), value);
  });
}

/** Whether every operator of one field's clause (`{eq: …, ne: …}`) holds; null holds. */
function fieldHolds(key: string, actual: FieldValue, operators: unknown): boolean {
  return entries(operators).every(([operator, operand]) => {
    if (operand === undefined) return true;
    const resolved = DATE_FIELDS.has(key) && operand !== null ? dateOperand(operand) : operand;
    return operatorHolds(actual, operator, resolved);
  });
}

/** Cases in the asked order; case number ascending breaks ties and is the default. */
export function orderCases(cases: CaseModel[], keys: OrderKey[]): CaseModel[] {
  return [...cases].sort((a, b) => {
    for (const { field, order } of keys) {
      const read = CASE_FIELDS[field];
      if (read === undefined) throw new GraphQLError(`Unsupported order field: ${field}`);
      const x = read(a);
      const y = read(b);
      if (x === y || x === null || y === null) continue;
      return (x < y ? -1 : 1) * (order === 'DESC' ? -1 : 1);
    }
    return a.number.localeCompare(b.number);
  });
}
