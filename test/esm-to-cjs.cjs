// Jest 30 cannot require ESM-only packages (bpmn-moddle, feelin, Nest 12): compile such files to CommonJS
// when Jest loads them. CommonJS files pass through untouched.
const { transformSync } = require('@swc/core');
const path = require('node:path');
const fs = require('node:fs');

const typeCache = new Map();

function packageIsEsm(filename) {
  let dir = path.dirname(filename);
  while (dir !== path.dirname(dir)) {
    if (typeCache.has(dir)) return typeCache.get(dir);
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      let isEsm = false;
      try {
        isEsm = JSON.parse(fs.readFileSync(pkg, 'utf8')).type === 'module';
      } catch {
        isEsm = false;
      }
      typeCache.set(dir, isEsm);
      return isEsm;
    }
    dir = path.dirname(dir);
  }
  return false;
}

const looksLikeEsm = /^\s*(import|export)\s|^\s*import\s*[{*]|\bimport\.meta\b/m;

module.exports = {
  process(source, filename) {
    const esm = filename.endsWith('.mjs') || (packageIsEsm(filename) && looksLikeEsm.test(source));
    if (!esm) return { code: source };
    const { code, map } = transformSync(source, {
      filename,
      sourceMaps: true,
      jsc: { parser: { syntax: 'ecmascript', importAttributes: true }, target: 'es2022' },
      module: { type: 'commonjs', importInterop: 'node' },
    });
    return {
      code: code.replace(/\bimport\.meta\.url\b/g, 'require("node:url").pathToFileURL(__filename).href'),
      map,
    };
  },
  getCacheKey(source, filename) {
    return require('node:crypto')
      .createHash('sha1')
      .update('v1')
      .update(filename)
      .update(source)
      .digest('hex');
  },
};
