// Write the WebCrypto half of crypto_vectors.json (the other half: make_crypto_vectors.py):
// an encrypted cache entry built from the format's description (torsh_data/io/_crypto.py)
// with Node's WebCrypto (crypto.subtle), not with torsh-data's code.
// Run: node tests/io/make_crypto_vectors.mjs
import fs from "node:fs";

const FILE = new URL("./crypto_vectors.json", import.meta.url);
const { subtle } = globalThis.crypto;
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString("hex");
const b64 = (b) => Buffer.from(b).toString("base64");
const b64url = (b) => b64(b).replaceAll("+", "-").replaceAll("/", "_");
const cat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));

async function hmac(key, data) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}
async function gcm(key, iv, data, aad) {
  const k = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, k, data));
}

const passphrase = "pässwörd – ünïcode ✓", iterations = 2000;
const salt = Uint8Array.from({ length: 24 }, (_, i) => 255 - i);
const key = "cache/ключ/データ.npy";
const plaintext = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
const checkNonce = Uint8Array.from({ length: 12 }, (_, i) => 50 + i);
const entryNonce = Uint8Array.from({ length: 12 }, (_, i) => 150 + i);

const base = await subtle.importKey("raw", enc.encode(passphrase), "PBKDF2", false, ["deriveBits"]);
const master = new Uint8Array(await subtle.deriveBits(
  { name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256));
const sub = (label) => hmac(master, cat(enc.encode(label), [1])); // one HKDF-Expand block
const entries = await sub("torsh-data/entries"), names = await sub("torsh-data/names");
const nameIv = await sub("torsh-data/name-iv");
const check = await gcm(entries, checkNonce, enc.encode("torsh-data passphrase check"),
  enc.encode("torsh-data/check"));
const record = JSON.stringify({
  format: "torsh-data-crypt/1", kdf: "PBKDF2-HMAC-SHA256", iterations,
  salt: b64(salt), check: b64(cat(checkNonce, check)),
});
const iv = (await hmac(nameIv, enc.encode(key))).slice(0, 12);
const storedKey = "e1:" + b64url(cat(iv, await gcm(names, iv, enc.encode(key), enc.encode("torsh-data/name"))));
const aad = cat(enc.encode("torsh-data/entry"), [0], enc.encode(key));
const entry = cat(enc.encode("TDE1"), entryNonce, await gcm(entries, entryNonce, plaintext, aad));

const vectors = fs.existsSync(FILE) ? JSON.parse(fs.readFileSync(FILE, "utf8")) : {};
vectors.webcrypto = {
  made_by: "webcrypto", passphrase, key, plaintext: hex(plaintext), entry_nonce: hex(entryNonce),
  record, stored_key: storedKey, entry: hex(entry),
};
const sorted = Object.fromEntries(Object.keys(vectors).sort().map((k) => [k, vectors[k]]));
fs.writeFileSync(FILE, JSON.stringify(sorted, null, 1) + "\n");
