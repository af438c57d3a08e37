// Writes .br and .gz next to every .wasm, .js, .css and .svg under the given directory, so the
// server can send precompressed assets.
import { readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(wasm|js|css|svg|json|webmanifest)$/.test(name)) {
      const data = readFileSync(path);
      writeFileSync(path + ".br", brotliCompressSync(data, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      }));
      writeFileSync(path + ".gz", gzipSync(data, { level: 9 }));
    }
  }
}
walk(process.argv[2]);
