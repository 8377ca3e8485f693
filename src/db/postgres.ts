/**
 * The Store on PostgreSQL (npm postgres), for sites sharing one database.
 * Processes go in with COPY ... FROM STDIN inside the job's transaction; a
 * concurrent submit of the same job waits on the jobs primary key and then
 * fails cleanly, so no job is ever stored twice or in part.
 */
import postgres from "postgres";
import { createConnection, type Socket } from "node:net";
import type { DbParams } from "../settings/mod.ts";
import { UserError } from "../errors.ts";
import { JOB_COLUMNS, PROCESS_COLUMNS } from "./columns.ts";
import {
  createStatements,
  dropStatements,
  migrationStatements,
  SCHEMA_VERSION,
} from "./schema.ts";
import {
  DatabaseUnavailableError,
  DuplicateJobError,
  type JobRow,
  type ProcessRows,
  type Queryable,
  readOnlySchemaError,
  type Row,
  type SqlValue,
  type Store,
  type ValueRow,
} from "./store.ts";
import { CopyEncoder } from "./copy_text.ts";
import {
  createPartitionStatements,
  monthOf,
  type Partition,
} from "./partitions.ts";
import { netRefusal } from "./net_permission.ts";
import { MASK, maskHost, maskSecretText } from "../secrets.ts";

type Sql = postgres.Sql;
type TxSql = postgres.TransactionSql;

/** Serialises schema changes between concurrent epmt processes. */
const SCHEMA_LOCK = 0x65706d74; // "epmt"
/** Serialises making a month's partition of processes. */
const PARTITION_LOCK = 0x65706d75;
/** How long to wait for the server to answer at all. */
const CONNECT_TIMEOUT_S = 10;
/** Bytes of COPY text sent per write. */
const COPY_CHUNK = 1 << 20;

/**
 * Connects to the database in `params` and checks the schema (creating it
 * in an empty database). Connection failures become one UserError naming
 * host, port, database and user, never the password.
 */
export async function openPostgres(
  params: DbParams,
  readOnly = false,
): Promise<PostgresStore> {
  const refused = netRefusal(params.host, params.port);
  if (refused) {
    const host = maskHost(params.host);
    throw new UserError(
      `${refused}; use the server it was built for, or rebuild with --db-host ${host}:${params.port}`,
    );
  }
  // A variable, not a literal: the `socket` option is missing from
  // postgres.js's type declarations.
  const options = {
    host: params.host,
    port: params.port,
    database: params.dbname,
    username: params.user,
    password: params.password,
    max: 1,
    // Unnamed statements only: a named prepared statement lives in one
    // server session, which a pooler in transaction mode (pgbouncer) does
    // not keep between transactions. A CLI process runs each statement a
    // few times, so preparing them bought little anyway.
    prepare: false,
    connect_timeout: CONNECT_TIMEOUT_S,
    fetch_types: false,
    onnotice: () => {},
    // Read-only sessions: the server refuses any write (epmt serve).
    connection: readOnly
      ? { application_name: "epmt", default_transaction_read_only: true }
      : { application_name: "epmt" },
    // Our own connected socket, to turn Nagle's algorithm off: with it,
    // postgres.js's small writes wait for delayed ACKs (~40 ms each).
    socket: () => connectSocket(params.host, params.port),
    types: {
      // Integers as numbers (exact to 2^53), JSON as text: as on SQLite.
      int8: {
        to: 20,
        from: [20, 1700],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
      jsontext: {
        to: 3802,
        from: [114, 3802],
        serialize: (x: string) => x,
        parse: (x: string) => x,
      },
    },
  };
  const sql = postgres(options);
  const store = new PostgresStore(sql, params);
  try {
    await store.ensureSchema(readOnly);
  } catch (e) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw store.explain(e);
  }
  return store;
}

function connectSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // A host starting with "/" is the directory of the server's Unix socket.
    const socket = host.startsWith("/")
      ? createConnection({ path: `${host}/.s.PGSQL.${port}` })
      : createConnection({ host, port, noDelay: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** Numbers `?` placeholders as $1, $2, ... outside quoted text. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let out = "";
  let quote = "";
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "?") {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

function pgError(e: unknown): { code?: string; message: string } {
  const err = e as { code?: string; message?: string };
  return { code: err?.code, message: err?.message ?? String(e) };
}

class PgQueryable implements Queryable {
  #sql: Sql | TxSql;
  constructor(sql: Sql | TxSql) {
    this.#sql = sql;
  }
  async query<T = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<T[]> {
    const rows = await this.#sql.unsafe(
      numberPlaceholders(sql),
      params as SqlValue[],
    );
    return [...rows] as T[];
  }
  async execute(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<number> {
    const r = await this.#sql.unsafe(
      numberPlaceholders(sql),
      params as SqlValue[],
    );
    return r.count;
  }
}

/** The Store on one PostgreSQL database (see openPostgres). */
export class PostgresStore implements Store {
  readonly provider = "postgres" as const;
  readonly description: string;
  #sql: Sql;
  #q: PgQueryable;
  #password: string;
  #host: string;

  constructor(sql: Sql, params: DbParams) {
    this.#sql = sql;
    this.#q = new PgQueryable(sql);
    this.#password = params.password;
    this.#host = params.host;
    this.description = `PostgreSQL database ${params.dbname} at ${
      maskHost(params.host)
    }:${params.port} as user ${params.user}`;
  }

  /** A connection or server error as one UserError line, password-free. */
  explain(e: unknown): Error {
    if (e instanceof UserError) return e;
    const { code, message } = pgError(e);
    let text = message;
    if (this.#password) text = text.split(this.#password).join(MASK);
    // The host setting may hold userinfo (carol:pw@db): network errors
    // name the host.
    if (this.#host) text = text.split(this.#host).join(maskHost(this.#host));
    text = maskSecretText(text);
    // No code: a network failure, unless it is one of JavaScript's own
    // (a bad value met while storing), which a retry would only repeat.
    const jsError = e instanceof TypeError || e instanceof SyntaxError ||
      e instanceof RangeError || e instanceof ReferenceError;
    const connecting = code === undefined
      ? !jsError
      : /^(08|28|3D|57P0)/.test(code) || /^E[A-Z]+$/.test(code) ||
        code === "CONNECT_TIMEOUT" || code === "CONNECTION_CLOSED" ||
        code === "CONNECTION_DESTROYED";
    return connecting
      ? new DatabaseUnavailableError(
        `cannot connect to ${this.description}: ${text}`,
      )
      : new UserError(`${this.description}: ${text}`);
  }

  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#q.query<T>(sql, params);
  }

  execute(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#q.execute(sql, params);
  }

  async queryValues(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<ValueRow[]> {
    const rows = await this.#sql.unsafe(
      numberPlaceholders(sql),
      params as SqlValue[],
    ).values();
    return [...rows] as ValueRow[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return await this.#sql.begin((tx) => fn(new PgQueryable(tx))) as T;
  }

  async hasJob(jobid: string): Promise<boolean> {
    try {
      const rows = await this.#sql`SELECT 1 FROM jobs WHERE jobid = ${jobid}`;
      return rows.length > 0;
    } catch (e) {
      throw this.explain(e);
    }
  }

  /**
   * A plain query under a deadline: postgres.js keeps reconnecting when a
   * server closes the connection during start-up, and sql.begin keeps
   * retrying an unreachable host.
   */
  async #firstContact(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new Error(
          `no answer from the server within ${CONNECT_TIMEOUT_S} s`,
        ) as Error & { code: string };
        e.code = "CONNECT_TIMEOUT";
        reject(e);
      }, CONNECT_TIMEOUT_S * 1000);
    });
    try {
      await Promise.race([this.#sql`SELECT 1`, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Creates the schema in an empty database, or checks its version. */
  async ensureSchema(readOnly = false): Promise<void> {
    await this.#firstContact();
    // The common case, a current schema, without a transaction or lock.
    const [{ found }] = await this.#sql<{ found: string | null }[]>`
      SELECT to_regclass('schema_version')::text AS found`;
    let current: number | undefined;
    if (found !== null) {
      const [row] = await this.#sql<{ version: number }[]>`
        SELECT max(version) AS version FROM schema_version`;
      current = row?.version ?? 0;
      if (current === SCHEMA_VERSION) return;
    }
    if (readOnly) {
      throw readOnlySchemaError(this.description, current, SCHEMA_VERSION);
    }
    await this.#sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`;
      // pg_tables, not to_regclass: this backend's catalog cache may still
      // say "no such table" after another submit created it meanwhile.
      const [{ exists }] = await tx<{ exists: boolean }[]>`
        SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema()
          AND tablename = 'schema_version') AS exists`;
      if (!exists) {
        for (const s of createStatements("postgres")) await tx.unsafe(s);
        return;
      }
      const [row] = await tx<{ version: number }[]>`
        SELECT version FROM schema_version`;
      const version = row?.version ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new UserError(
          `${this.description} has schema version ${version}, newer than ` +
            `this epmt understands (${SCHEMA_VERSION}): upgrade epmt`,
        );
      }
      for (const s of migrationStatements(version, "postgres")) {
        await tx.unsafe(s);
      }
      if (version < SCHEMA_VERSION) {
        await tx`UPDATE schema_version SET version = ${SCHEMA_VERSION}`;
      }
    });
  }

  async resetSchema(): Promise<void> {
    try {
      await this.#sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`;
        for (const s of dropStatements()) await tx.unsafe(s);
        for (const s of createStatements("postgres")) await tx.unsafe(s);
      });
    } catch (e) {
      throw this.explain(e);
    }
  }

  async insertJob(
    job: JobRow,
    processes: ProcessRows,
    progress?: (done: number, total: number) => void,
  ): Promise<void> {
    const jobid = String(job.jobid);
    // The partition key: the job's start, 0 (the epoch's month) without one.
    const startUs = typeof job.start_us === "number" ? job.start_us : 0;
    const month = monthOf(startUs);
    try {
      if (processes.length > 0) await this.#ensurePartition(month);
      await this.#sql.begin(async (tx) => {
        await this.#insertJobRow(tx, job);
        await this.#copyProcesses(tx, jobid, startUs, processes, progress);
      });
    } catch (e) {
      if (pgError(e).code === "23505" && /jobs_pkey/.test(pgError(e).message)) {
        throw new DuplicateJobError(jobid, this.description);
      }
      if (e instanceof UserError) throw e;
      const err = this.explain(e);
      if (err instanceof DatabaseUnavailableError) throw err;
      throw this.#storingFailed(
        jobid,
        err.message.replace(`${this.description}: `, ""),
      );
    }
  }

  /**
   * Makes the month's partition of processes if it is not there: a table of
   * its own, then attached, which (unlike CREATE TABLE ... PARTITION OF)
   * does not stop concurrent submits. One maker at a time (advisory lock,
   * released at commit, so pgbouncer's transaction pooling is fine).
   */
  async #ensurePartition(p: Partition): Promise<void> {
    const exists = async (q: Sql | TxSql) =>
      (await q`SELECT 1 FROM pg_class WHERE relname = ${p.name}
        AND relnamespace = current_schema()::regnamespace`).length > 0;
    if (!await exists(this.#sql)) {
      await this.#sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`;
        if (await exists(tx)) return;
        for (const s of createPartitionStatements(p)) await tx.unsafe(s);
      });
    }
  }

  async #insertJobRow(tx: TxSql, job: JobRow): Promise<void> {
    const names = JOB_COLUMNS.map((c) => c.name);
    const values = names.map((n) => job[n] ?? null);
    await tx.unsafe(
      `INSERT INTO jobs (${names.join(", ")}) VALUES (${
        JOB_COLUMNS.map((c, i) =>
          `$${i + 1}${c.type === "json" ? "::jsonb" : ""}`
        )
          .join(", ")
      })`,
      values,
    );
    const now = job.loaded_us ?? null;
    await tx`INSERT INTO users (name, first_seen_us)
      VALUES (${String(job.username ?? "")}, ${now}) ON CONFLICT DO NOTHING`;
    const hosts = (JSON.parse(String(job.hosts ?? "[]")) as string[]).sort();
    for (const h of hosts) {
      await tx`INSERT INTO hosts (name, first_seen_us)
        VALUES (${h}, ${now}) ON CONFLICT DO NOTHING`;
    }
  }

  /**
   * Streams the rows with COPY, then counts them back in the same
   * transaction. postgres.js 3.4.9 loses a server error that arrives after
   * the stream's end (porsager/postgres#1173): the stream then never
   * finishes, but the count fails on the aborted transaction, so the job is
   * rolled back either way and never reported stored when it is not.
   */
  async #copyProcesses(
    tx: TxSql,
    jobid: string,
    jobStartUs: number,
    rows: ProcessRows,
    progress?: (done: number, total: number) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    // job_start_us last: the partition key, the same for every row.
    const names = [...PROCESS_COLUMNS.map((c) => c.name), "job_start_us"]
      .join(", ");
    const month = monthOf(jobStartUs);
    const before = await pendingInserts(tx, month);
    const writable = await tx.unsafe(`COPY processes (${names}) FROM STDIN`)
      .writable();
    let failure: Error | undefined;
    const failed = new Promise<void>((resolve) => {
      writable.on("error", (e) => {
        failure = e;
        resolve();
      });
    });
    // _final runs when end() has flushed everything and CopyDone is sent;
    // only then may the next query go out.
    const ended = new Promise<void>((resolve) => {
      const original = writable._final!.bind(writable);
      writable._final = (callback) => {
        original(callback);
        resolve();
      };
    });
    const width = PROCESS_COLUMNS.length + 1;
    const values: SqlValue[] = new Array(width);
    values[width - 1] = jobStartUs;
    const copy = new CopyEncoder(COPY_CHUNK + (COPY_CHUNK >> 2));
    try {
      for (let i = 0; i < rows.length && !failure; i++) {
        rows.fill(i, values, 0);
        copy.row(values, width);
        if (copy.size >= COPY_CHUNK) {
          if (!writable.write(copy.take())) {
            await Promise.race([
              new Promise((resolve) => writable.once("drain", resolve)),
              failed,
            ]);
          }
          progress?.(i, rows.length);
        }
      }
    } catch (e) {
      // Abandon the COPY (CopyFail): left open, it would refuse the
      // ROLLBACK, and that refusal would hide this error.
      writable.destroy(e as Error);
      throw e;
    }
    if (!failure) writable.end(copy.take());
    await Promise.race([ended, failed]);
    if (failure) throw failure;
    let stored: number;
    try {
      // The statistics say how many rows the COPY inserted in ~4 ms, where
      // counting 100,000 fresh rows back takes ~130 ms (each is fetched
      // from the heap to see it is visible). Only a match is taken from
      // them: anything else (statistics off, say) is counted.
      stored = await pendingInserts(tx, month) - before;
      if (stored !== rows.length) {
        [{ n: stored }] = await tx<{ n: number }[]>`
          SELECT count(*) AS n FROM processes
           WHERE jobid = ${jobid} AND job_start_us = ${jobStartUs}`;
      }
    } catch (e) {
      if (pgError(e).code === "25P02") {
        throw this.#storingFailed(
          jobid,
          "the server refused the process rows (COPY failed; its log has the reason)",
        );
      }
      throw e;
    }
    if (stored !== rows.length) {
      throw this.#storingFailed(
        jobid,
        `${stored} of ${rows.length} process rows arrived`,
      );
    }
  }

  /**
   * The job itself failed to store (the server answered, so this is no
   * lost connection, which the daemon would retry): it goes to failed/.
   */
  #storingFailed(jobid: string, why: string): UserError {
    return new UserError(
      `${this.description}: storing job ${jobid} failed: ${why}`,
    );
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}

/**
 * The server's count of rows inserted into the month's partition by this
 * backend and not yet flushed to its statistics
 * (pg_stat_xact_user_tables.n_tup_ins): besides this transaction's rows it
 * may hold earlier transactions', but it is flushed only between
 * transactions, so two readings inside one differ by exactly what was
 * inserted in between. 0 when the server keeps no statistics.
 */
async function pendingInserts(tx: TxSql, month: Partition): Promise<number> {
  const rows = await tx<{ n: string | null }[]>`
    SELECT s.n_tup_ins AS n FROM pg_stat_xact_user_tables s
      JOIN pg_class c ON c.oid = s.relid
     WHERE c.relname = ${month.name}
       AND c.relnamespace = current_schema()::regnamespace`;
  return rows.length > 0 ? Number(rows[0].n ?? 0) : 0;
}
