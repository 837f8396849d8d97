// The GraphQL schema the fake portal serves at {graphqlUrl}, in SDL: Salesforce's UI API shape
// with the objects renamed RedHatSupport* (/work/shared/reference/redhat-portal-api-v3.md §2,
// §4.2, §5.2, §6.2). Every scalar field is wrapped as { value displayValue }; dates are strings
// like "2026-12-02T14:03:07.000Z". Only what the reference shows a client reading is modelled.
// Filters on parent records (Product, Group__r, CreatedBy, RedHatSupportRecordType) take a
// Name; the reference never saw a filter on the case group (§6.2), so a test that wants a
// deployment without it omits 'RedHatSupportCase_Filter.Group__r'.
//
// buildFakeSchema({ omit }) drops fields ('Type.field', object or input types) so a test can
// model a deployment whose schema lacks a field the client asks for: graphql's own validation
// then refuses the query exactly as a real server does.
import {
  Kind,
  buildASTSchema,
  parse,
  visit,
  type GraphQLSchema,
  type InputValueDefinitionNode,
  type FieldDefinitionNode,
} from 'graphql';

export const FAKE_GRAPHQL_SDL = /* GraphQL */ `
  type Query {
    redhat_support_uiapi: RedHatSupportUIAPI!
  }

  type RedHatSupportUIAPI {
    query: RedHatSupportQuery!
  }

  type RedHatSupportQuery {
    RedHatSupportCase(
      where: RedHatSupportCase_Filter
      first: Int
      after: String
      orderBy: RedHatSupportCase_OrderBy
    ): RedHatSupportCaseConnection
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type StringValue {
    value: String
    displayValue: String
  }
  type BooleanValue {
    value: Boolean
    displayValue: String
  }
  type DateTimeValue {
    value: String
    displayValue: String
  }
  type PicklistValue {
    value: String
    displayValue: String
  }
  type LongTextAreaValue {
    value: String
    displayValue: String
  }

  type RedHatSupportCaseConnection {
    totalCount: Int!
    edges: [RedHatSupportCaseEdge!]!
    pageInfo: PageInfo!
  }
  type RedHatSupportCaseEdge {
    cursor: String!
    node: RedHatSupportCase!
  }

  type RedHatSupportCase {
    Id: ID!
    CaseNumber__c: StringValue
    Subject: StringValue
    Description: LongTextAreaValue
    Status: PicklistValue
    Priority: PicklistValue
    Type: PicklistValue
    IsClosed: BooleanValue
    ClosedDate: DateTimeValue
    CreatedDate: DateTimeValue
    LastModifiedDate: DateTimeValue
    Account_Number__c: StringValue
    CreatedBy: RedHatSupportUser
    Product: RedHatSupportProduct
    Group__r: RedHatSupportCaseGroup
    RedHatSupportRecordType: RedHatSupportRecordType
    AccessRestrictions__c: PicklistValue
    CaseComments__r(
      first: Int
      after: String
      orderBy: CaseComment_OrderBy
    ): RedHatSupportCaseComment__cConnection
  }

  type RedHatSupportProduct {
    Name: StringValue
    VersionName__c: StringValue
  }
  type RedHatSupportCaseGroup {
    Name: StringValue
  }
  type RedHatSupportUser {
    Name: StringValue
  }
  type RedHatSupportRecordType {
    Name: StringValue
  }

  type RedHatSupportCaseComment__cConnection {
    totalCount: Int!
    edges: [RedHatSupportCaseComment__cEdge!]!
    pageInfo: PageInfo!
  }
  type RedHatSupportCaseComment__cEdge {
    cursor: String!
    node: RedHatSupportCaseComment__c!
  }

  type RedHatSupportCaseComment__c {
    Id: ID!
    Body__c: LongTextAreaValue
    CreatedDate: DateTimeValue
    LastModifiedDate: DateTimeValue
    CreatedBy: RedHatSupportUser
    LastModifiedByName__c: StringValue
    IsAssociate__c: BooleanValue
    IsCustomer__c: BooleanValue
    Visibility__c: PicklistValue
  }

  input IDOperators {
    eq: ID
    ne: ID
    in: [ID]
    nin: [ID]
  }
  input StringOperators {
    eq: String
    ne: String
    in: [String]
    nin: [String]
    "% matches any run of characters; case-insensitive, as SOQL LIKE is"
    like: String
  }
  input BooleanOperators {
    eq: Boolean
    ne: Boolean
  }
  input DateTimeInput {
    value: String
  }
  input DateTimeOperators {
    eq: DateTimeInput
    gt: DateTimeInput
    gte: DateTimeInput
    lt: DateTimeInput
    lte: DateTimeInput
  }

  # A parent record filtered by its name: { Group__r: { Name: { eq: "Demo group" } } }
  input NameFilter {
    Name: StringOperators
  }

  input RedHatSupportCase_Filter {
    Id: IDOperators
    CaseNumber__c: StringOperators
    Subject: StringOperators
    Status: StringOperators
    Priority: StringOperators
    IsClosed: BooleanOperators
    LastModifiedDate: DateTimeOperators
    CreatedDate: DateTimeOperators
    AccessRestrictions__c: StringOperators
    RedHatSupportRecordType: NameFilter
    Product: NameFilter
    Group__r: NameFilter
    CreatedBy: NameFilter
    and: [RedHatSupportCase_Filter!]
    or: [RedHatSupportCase_Filter!]
    not: RedHatSupportCase_Filter
  }

  enum ResultOrder {
    ASC
    DESC
  }
  input OrderByClause {
    order: ResultOrder
  }
  input RedHatSupportCase_OrderBy {
    LastModifiedDate: OrderByClause
    CreatedDate: OrderByClause
    CaseNumber__c: OrderByClause
  }
  input CaseComment_OrderBy {
    CreatedDate: OrderByClause
  }
`;

export interface FakeGraphqlSchemaVariant {
  /** Fields the deployment lacks, written 'Type.field' (e.g. 'RedHatSupportCase.CaseComments__r'). */
  omit?: string[];
}

/** The schema, without the omitted fields; an omission that names no field is a test bug. */
export function buildFakeSchema(variant: FakeGraphqlSchemaVariant = {}): GraphQLSchema {
  const omit = new Set(variant.omit ?? []);
  const found = new Set<string>();
  const keep = <T extends FieldDefinitionNode | InputValueDefinitionNode>(
    typeName: string,
    fields: readonly T[] | undefined,
  ): T[] | undefined =>
    fields?.filter((f) => {
      const key = `${typeName}.${f.name.value}`;
      if (!omit.has(key)) return true;
      found.add(key);
      return false;
    });
  const document = visit(parse(FAKE_GRAPHQL_SDL), {
    [Kind.OBJECT_TYPE_DEFINITION]: (node) => ({
      ...node,
      fields: keep(node.name.value, node.fields),
    }),
    [Kind.INPUT_OBJECT_TYPE_DEFINITION]: (node) => ({
      ...node,
      fields: keep(node.name.value, node.fields),
    }),
  });
  const unknown = [...omit].filter((key) => !found.has(key));
  if (unknown.length > 0) {
    throw new Error(`fake portal: no such GraphQL field to omit: ${unknown.join(', ')}`);
  }
  return buildASTSchema(document);
}
