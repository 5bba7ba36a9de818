/** A UUID in its text form (any version), e.g. to tell a row's id from a name or number before casting it. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
