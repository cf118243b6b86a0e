// Checks rendered Kubernetes manifests offline against the API's own
// OpenAPI schemas (kubernetes-models, generated from Kubernetes' and
// CloudNativePG's published schemas): every object of every YAML file
// named on the command line must be of a known kind and valid.
//   node tests/deploy/validate_manifests.mjs rendered.yaml...
// Exit 0: all valid; 1: a problem, printed with its file, kind and name.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion -> the module folder of its models.
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/")
    ? apiVersion.split("/")
    : ["", apiVersion];
  if (group === "postgresql.cnpg.io") {
    return `@kubernetes-models/cloudnative-pg/${group}/${version}/${kind}`;
  }
  return group === ""
    ? `kubernetes-models/${version}/${kind}`
    : `kubernetes-models/${group}/${version}/${kind}`;
}

let problems = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.error(`${file}: YAML: ${doc.errors[0].message}`);
      problems++;
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue;
    const where = `${file}: ${object.kind} ${object.metadata?.name ?? "?"}`;
    let Model;
    try {
      const module = await import(modulePath(object.apiVersion, object.kind));
      Model = module[object.kind];
    } catch (e) {
      console.error(`${where}: unknown apiVersion/kind ${object.apiVersion} ${object.kind}`);
      problems++;
      continue;
    }
    try {
      new Model(object).validate();
      checked++;
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      problems++;
    }
  }
}
console.log(`manifests: ${checked} objects valid, ${problems} problems`);
process.exit(problems === 0 && checked > 0 ? 0 : 1);
