/**
 * Reference models in the database (table `refmodels`): store, read, list,
 * delete, and find the newest model that fits a job.
 */
import { UserError } from "../errors.ts";
import type { Row, Store } from "../db/mod.ts";
import { json, jsonObject } from "../query/mod.ts";
import type { ModelStats, RefModel } from "./model.ts";

/** A model without its statistics, as `refmodel list` shows it. */
export type ModelHead = Omit<RefModel, "stats">;

const HEAD = "name, created_us, exp_name, exp_component, tags, jobids, op_key";

function headOf(r: Row): ModelHead {
  return {
    name: String(r.name),
    created_us: Number(r.created_us),
    exp_name: String(r.exp_name ?? ""),
    exp_component: String(r.exp_component ?? ""),
    tags: jsonObject(r.tags) as Record<string, string>,
    jobids: (json<string[]>(r.jobids) ?? []).map(String),
    op_key: String(r.op_key),
  };
}

function modelOf(r: Row): RefModel {
  return { ...headOf(r), stats: JSON.parse(String(r.stats)) as ModelStats };
}

/** Stores `m`; a name already taken is a UserError and nothing changes. */
export async function saveModel(store: Store, m: RefModel): Promise<void> {
  const cast = store.provider === "postgres" ? "::jsonb" : "";
  await store.transaction(async (tx) => {
    const taken = await tx.query(
      "SELECT 1 AS x FROM refmodels WHERE name = ?",
      [m.name],
    );
    if (taken.length) {
      throw new UserError(`a reference model named ${m.name} already exists`);
    }
    await tx.execute(
      `INSERT INTO refmodels (${HEAD}, stats)
       VALUES (?, ?, ?, ?, ?${cast}, ?${cast}, ?, ?${cast})`,
      [
        m.name,
        m.created_us,
        m.exp_name,
        m.exp_component,
        JSON.stringify(m.tags),
        JSON.stringify(m.jobids),
        m.op_key,
        JSON.stringify(m.stats),
      ],
    );
  });
}

/** True when a model is named `name`. */
export async function modelExists(
  store: Store,
  name: string,
): Promise<boolean> {
  const rows = await store.query(
    "SELECT 1 AS x FROM refmodels WHERE name = ?",
    [
      name,
    ],
  );
  return rows.length > 0;
}

/** The model named `name`; a UserError naming it when there is none. */
export async function loadModel(store: Store, name: string): Promise<RefModel> {
  const [row] = await store.query(
    `SELECT ${HEAD}, stats FROM refmodels WHERE name = ?`,
    [name],
  );
  if (!row) {
    throw new UserError(
      `no reference model named ${name} (epmt refmodel list shows them)`,
    );
  }
  return modelOf(row);
}

/** Every model, newest first, without statistics. */
export async function listModels(store: Store): Promise<ModelHead[]> {
  const rows = await store.query(
    `SELECT ${HEAD} FROM refmodels ORDER BY created_us DESC, name`,
  );
  return rows.map(headOf);
}

/** Deletes the model named `name`; a UserError when there is none. */
export async function deleteModel(store: Store, name: string): Promise<void> {
  const n = await store.execute("DELETE FROM refmodels WHERE name = ?", [name]);
  if (n === 0) {
    throw new UserError(
      `no reference model named ${name} (epmt refmodel list shows them)`,
    );
  }
}

/** What newestModelFor needs of a job. */
export interface JobKey {
  exp_name: string;
  exp_component: string;
  tags: Record<string, unknown>;
}

/**
 * The newest model that fits `job`: its experiment (when the model has
 * one) and component (when it has one) are the job's, and every job tag it
 * was built from has the same value in the job. A model with neither
 * experiment nor tags fits no job by itself (it is only used by name).
 */
export async function newestModelFor(
  store: Store,
  job: JobKey,
): Promise<RefModel | undefined> {
  const rows = await store.query(
    `SELECT ${HEAD}, stats FROM refmodels WHERE exp_name = ? OR exp_name = ''
      ORDER BY created_us DESC, name`,
    [job.exp_name ?? ""],
  );
  for (const r of rows) {
    const m = headOf(r);
    const tags = Object.entries(m.tags);
    if (m.exp_name === "" && tags.length === 0) continue;
    if (m.exp_component !== "" && m.exp_component !== job.exp_component) {
      continue;
    }
    if (tags.every(([k, v]) => String(job.tags?.[k]) === v)) return modelOf(r);
  }
  return undefined;
}
