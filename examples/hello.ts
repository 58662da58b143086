// A tiny todo list kept in Deno KV. It uses the script's default database,
// so the list survives between runs:
//
//   kvrt run examples/hello.ts add "buy milk"
//   kvrt run examples/hello.ts done 1
//   kvrt run examples/hello.ts            (lists the todos)

interface Todo {
  id: number;
  title: string;
  done: boolean;
  created: Date;
}

const kv = await Deno.openKv();

async function add(title: string): Promise<Todo> {
  // Allocate an id with an atomic counter, then store the todo under it.
  await kv.atomic().sum(["todo_seq"], 1n).commit();
  const seq = await kv.get<Deno.KvU64>(["todo_seq"]);
  const todo: Todo = { id: Number(seq.value!.value), title, done: false, created: new Date() };
  await kv.set(["todos", todo.id], todo);
  return todo;
}

async function markDone(id: number): Promise<boolean> {
  // Optimistic concurrency: only write if nobody changed the todo meanwhile.
  const entry = await kv.get<Todo>(["todos", id]);
  if (entry.value === null) return false;
  const result = await kv.atomic()
    .check(entry)
    .set(["todos", id], { ...entry.value, done: true })
    .commit();
  return result.ok;
}

const [command, ...rest] = Deno.args;
if (command === "add") {
  const todo = await add(rest.join(" ") || "something");
  console.log(`added #${todo.id}: ${todo.title}`);
} else if (command === "done") {
  const id = Number(rest[0]);
  console.log((await markDone(id)) ? `done #${id}` : `no todo #${id}`);
}

const runs = await kv.atomic().sum(["runs"], 1n).commit();
const count = (await kv.get<Deno.KvU64>(["runs"])).value;
console.log(`Hello from kvrt! This script has run ${count} time(s) (commit ${runs.ok ? "ok" : "failed"}).`);
const todos = await Array.fromAsync(kv.list<Todo>({ prefix: ["todos"] }));
if (todos.length === 0) {
  console.log('No todos yet. Try: kvrt run examples/hello.ts add "buy milk"');
}
for (const { value } of todos) {
  console.log(`${value.done ? "[x]" : "[ ]"} #${value.id} ${value.title}`);
}
kv.close();
