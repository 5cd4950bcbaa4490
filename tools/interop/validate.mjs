#!/usr/bin/env node
// Reads one signed file with two C2PA implementations independent of c2pa-python and prints
// one JSON document: per reader, whether a manifest was found, the active manifest's claim
// generator, its assertions' labels and every validation status code the reader reports.
//
//   node tools/interop/validate.mjs FILE MIME [TRUST_ANCHORS_PEM]
//
// - "c2pa-ts" (@trustnxt/c2pa-ts): pure TypeScript; checks hashes and signatures but not the
//   chain of trust (its "signingCredential.trusted" only says the certificates fit the C2PA
//   profile), and reports each status as success or failure only.
// - "c2pa-wasm" (@contentauth/c2pa-wasm): c2pa-rs built to WebAssembly; with TRUST_ANCHORS_PEM
//   it also checks that the signing certificate chains to one of those anchors.
// Exit status 0 when both readers ran (whatever they found), 2 on a usage error or an old Node.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { initSync, WasmReader } from '@contentauth/c2pa-wasm';
import { BMFF, JPEG, PNG } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore, ValidationResult } from '@trustnxt/c2pa-ts/manifest';

const require = createRequire(import.meta.url);

// c2pa-ts 0.9's BMFF reader only opens files whose ftyp names a HEIC/HEIF brand ("heic",
// "mif1"), although its BMFF hash validation does not depend on the brand. Our clips are plain
// MP4 (ftyp "isom" with "iso2", "avc1", "mp41"), so this script widens that check at run time by
// adding the MP4 brands to the library's set; no library file is changed.
BMFF.canReadBrands.add('isom');
BMFF.canReadBrands.add('iso2');
BMFF.canReadBrands.add('mp41');
BMFF.canReadBrands.add('mp42');

function packageVersion(name) {
    // Not through require(): c2pa-ts does not export its package.json.
    const path = new URL(`./node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(readFileSync(path, 'utf8')).version;
}

function entries(list) {
    return (list ?? []).map((s) => ({
        code: s.code,
        url: s.url ?? null,
        explanation: s.explanation ?? null,
    }));
}

async function readWithC2paTs(bytes, mime) {
    const version = packageVersion('@trustnxt/c2pa-ts');
    const out = { reader: 'c2pa-ts', version, manifest_found: false };
    const Format = { 'video/mp4': BMFF, 'image/png': PNG, 'image/jpeg': JPEG }[mime];
    if (!Format || !Format.canRead(bytes)) {
        return { ...out, error: `c2pa-ts cannot read ${mime}` };
    }
    const asset = new Format(bytes);
    const jumbf = asset.getManifestJUMBF();
    if (!jumbf) return out;
    out.manifest_found = true;
    let result;
    try {
        const store = ManifestStore.read(SuperBox.fromBuffer(jumbf));
        const active = store.getActiveManifest();
        if (active) {
            out.active_manifest = active.label ?? null;
            out.claim_generator = {
                name: active.claim?.claimGeneratorName ?? null,
                version: active.claim?.claimGeneratorVersion ?? null,
            };
            out.assertions = (active.assertions?.assertions ?? []).map((a) => a.fullLabel);
            const uris = (list) =>
                (list ?? []).map((h) => h.uri.replace(/^.*c2pa\.assertions\//, ''));
            out.created_assertions = uris(active.claim?.assertions);
            out.gathered_assertions = uris(active.claim?.gatheredAssertions);
        }
        result = await store.validate(asset);
    } catch (e) {
        // The library's own way to turn a thrown error into status codes.
        result = ValidationResult.fromError(e);
    }
    const all = result.statusEntries ?? [];
    out.success = entries(all.filter((s) => s.success));
    out.informational = []; // c2pa-ts has no informational class: its "informational" is success
    out.failure = entries(all.filter((s) => !s.success));
    return out;
}

let wasmReady = false;

async function readWithC2paWasm(bytes, mime, anchorsPem) {
    const version = packageVersion('@contentauth/c2pa-wasm');
    const out = { reader: 'c2pa-wasm', version, manifest_found: false };
    if (!wasmReady) {
        initSync({ module: readFileSync(require.resolve('@contentauth/c2pa-wasm/c2pa.wasm')) });
        wasmReady = true;
    }
    const settings = { verify: { verify_trust: true } };
    if (anchorsPem) settings.trust = { trust_anchors: anchorsPem };
    let reader;
    try {
        reader = await WasmReader.fromBytes(mime, bytes, JSON.stringify(settings));
    } catch (e) {
        const message = String(e?.message ?? e);
        // c2pa-rs's error for a file without a manifest (e.g. "C2pa(JumbfNotFound)").
        if (/JumbfNotFound|ManifestNotFound/.test(message)) return { ...out, detail: message };
        return { ...out, error: message };
    }
    try {
        const store = JSON.parse(reader.json());
        const label = store.active_manifest;
        const active = label ? store.manifests?.[label] : undefined;
        out.manifest_found = Boolean(active);
        out.active_manifest = label ?? null;
        out.validation_state = store.validation_state ?? null;
        if (active) {
            const info = active.claim_generator_info?.[0] ?? {};
            out.claim_generator = { name: info.name ?? null, version: info.version ?? null };
            // c2pa-rs lists the ingredient assertions apart from the others.
            const all = [...(active.assertions ?? []), ...(active.ingredients ?? [])];
            out.assertions = all.map((a) => a.label);
        }
        const results = store.validation_results?.activeManifest ?? {};
        out.success = entries(results.success);
        out.informational = entries(results.informational);
        out.failure = entries(results.failure);
        // Failures in ingredients' manifests, which c2pa-rs reports apart from the active one.
        const ingredientFailures = (store.validation_results?.ingredientDeltas ?? []).flatMap(
            (d) => d.validationDeltas?.failure ?? [],
        );
        out.failure.push(...entries(ingredientFailures));
    } finally {
        reader.free();
    }
    return out;
}

async function main(argv) {
    const [file, mime, anchorsPath] = argv;
    if (Number(process.versions.node.split('.')[0]) < 20) {
        process.stderr.write(`validate.mjs needs Node.js 20 or later, not ${process.version}\n`);
        return 2;
    }
    if (!file || !mime) {
        process.stderr.write('usage: validate.mjs FILE MIME [TRUST_ANCHORS_PEM]\n');
        return 2;
    }
    const bytes = new Uint8Array(readFileSync(file));
    const anchors = anchorsPath ? readFileSync(anchorsPath, 'utf8') : null;
    const readers = {};
    for (const [name, read] of [
        ['c2pa-ts', () => readWithC2paTs(bytes, mime)],
        ['c2pa-wasm', () => readWithC2paWasm(bytes, mime, anchors)],
    ]) {
        try {
            readers[name] = await read();
        } catch (e) {
            readers[name] = { reader: name, manifest_found: false, error: String(e?.stack ?? e) };
        }
    }
    const report = { file, mime, trust_anchors: anchorsPath ?? null, readers };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
}

process.exitCode = await main(process.argv.slice(2));
