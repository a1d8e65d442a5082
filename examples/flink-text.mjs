// The Flink OSS walkthrough (seed 001) on tierfs, with the local store standing in for OSS:
// read the TPC-DS call_center rows, count them, write them as text, read the copy back, count again.
//
//   node examples/flink-text.mjs [directory-uri]
//
// With no argument it works on a scratch copy of examples/data; pass e.g. oss://bucket/dir (with
// fs.oss.* configured) to run the same program against another store.
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readTextFile, writeAsText } from 'tierfs';

async function count(lines) {
  let n = 0;
  for await (const _ of lines) n++;
  return n;
}

let base = process.argv[2];
if (!base) {
  const scratch = await mkdtemp(join(tmpdir(), 'tierfs-flink-'));
  await cp(new URL('./data', import.meta.url), scratch, { recursive: true });
  base = pathToFileURL(scratch).href;
}
const input = `${base.replace(/\/$/, '')}/50/call_center/data-m-00049`;
const output = `${input}.1`;

// scala> val dataSet = benv.readTextFile("oss://<your-bucket>/50/call_center/data-m-00049")
const dataSet = [];
for await (const line of readTextFile(input)) dataSet.push(line);
// scala> dataSet.print()
for (const line of dataSet) console.log(line);
// scala> dataSet.count()
console.log(dataSet.length);

// scala> dataSet.writeAsText("oss://<your-bucket>/50/call_center/data-m-00049.1")
await writeAsText(output, dataSet, undefined, { overwrite: true });

// scala> val newDataSet = benv.readTextFile("oss://<your-bucket>/50/call_center/data-m-00049.1")
// scala> newDataSet.count()
console.log(await count(readTextFile(output)));
