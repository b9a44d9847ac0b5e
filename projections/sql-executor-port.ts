/** The slice of a SQL connection a projection writes through, inside the shard transaction it is given. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, values?: readonly unknown[]): Promise<Row[]>;
}
