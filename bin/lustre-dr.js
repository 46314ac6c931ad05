#!/usr/bin/env node
// The lustre-dr CLI. Which code runs depends on where this file is:
// - in a checkout (infra/cli.ts beside bin/), the TypeScript sources through ts-node, so the CLI is always what was
//   edited, even when dist/ holds an older `npm run build`;
// - in an installed package (package.json `files` ships dist/ and no TypeScript), the JavaScript build, without ts-node.
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const source = path.join(root, "infra", "cli.ts");
const built = path.join(root, "dist", "infra", "cli.js");

if (fs.existsSync(source)) {
    require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    require(source).main(process.argv);
} else if (fs.existsSync(built)) {
    require(built).main(process.argv);
} else {
    process.stderr.write(`lustre-dr: neither ${source} nor ${built} exists; in a checkout, run npm ci\n`);
    process.exitCode = 2;
}
