import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exportLab } from "../../../src/shell/lab/export.js";
import { VERSION } from "../../../src/version.js";
import { LAB_DIR, shippedLab } from "./lab-world.js";

const SOURCES = ["lab.yaml", "scenario.yaml", "manifests/services.yaml", "manifests/serviceentry.yaml"];
const sources = () => ({ lab: shippedLab().lab, labFile: "lab.yaml", files: Object.fromEntries(SOURCES.map((f) => [f, readFileSync(`${LAB_DIR}/${f}`, "utf8")])) });

describe("mcsim lab export (issue 9, landscape.md §1.1 Killercoda, §1.2 Instruqt)", () => {
  it("killercoda: index.json with intro, steps (text and verify) and finish, the sources as host01 assets, verify scripts calling mcsim lab check", () => {
    const files = exportLab("killercoda", sources());
    const index = JSON.parse(files["index.json"]!);
    expect(index.title).toBe("Cross-cluster service discovery, three ways");
    expect(index.backend).toEqual({ imageid: "ubuntu" });
    expect(index.details.intro).toEqual({ text: "intro.md", background: "setup.sh", foreground: "foreground.sh" });
    expect(index.details.steps).toEqual([
      { title: "The service mesh", text: "step1/text.md", verify: "step1/verify.sh" },
      { title: "DNS federation", text: "step2/text.md", verify: "step2/verify.sh" },
      { title: "A pod that has dig", text: "step3/text.md", verify: "step3/verify.sh" },
      { title: "Multi-Cluster Services", text: "step4/text.md", verify: "step4/verify.sh" },
    ]);
    expect(index.details.finish).toEqual({ text: "finish.md" });
    expect(index.details.assets.host01).toContainEqual({ file: "lab/manifests/services.yaml", target: "/root/mcsim-lab-src/manifests" });
    expect(index.details.assets.host01).toContainEqual({ file: "lab/lab.yaml", target: "/root/mcsim-lab-src" });
    for (const f of SOURCES) expect(files[`assets/lab/${f}`]).toBe(readFileSync(`${LAB_DIR}/${f}`, "utf8"));
    expect(files["step3/verify.sh"]).toBe("#!/bin/bash\n# A pod that has dig: dns-test-ready, cluster-b-name, missing-name\nmcsim lab check /root/mcsim-lab dns-test-ready cluster-b-name missing-name\n");
    expect(files["setup.sh"]).toContain(`npm install -g mcsim@${VERSION}\n`);
    expect(files["setup.sh"]).toContain("mcsim lab init /root/mcsim-lab-src/lab.yaml --state /root/mcsim-lab\n");
    expect(files["setup.sh"]).toContain(`echo 'eval "$(mcsim lab env /root/mcsim-lab)"' >> /root/.bashrc\n`);
    expect(files["step3/text.md"]).toContain("# A pod that has dig\n");
    expect(files["step3/text.md"]).toContain("<details><summary>Hint</summary>\n\nkubectl run without --rm and -it leaves the pod running; debian:12 has dig.\n\n</details>\n");
    expect(files["step3/text.md"]).toContain("<details><summary>Solution</summary>\n\n```plain\nkubectl run dns-test --image=debian:12 -- sleep infinity\nkubectl exec -it dns-test -- dig +short myservice.production.svc.cluster-b.local\n```{{exec}}\n\n</details>\n");
  });

  it("instruqt: track.yml, config.yml, a setup script holding the sources, a challenge folder per step with assignment.md, check and solve scripts", () => {
    const files = exportLab("instruqt", sources());
    expect(files["track.yml"]).toMatch(/^slug: "cross-cluster-service-discovery-three-ways"\ntitle: "Cross-cluster service discovery, three ways"\n/);
    expect(files["config.yml"]).toBe('version: "3"\ncontainers:\n- name: workstation\n  image: node:20\n  shell: /bin/bash\n');
    const setup = files["track_scripts/setup-workstation"]!;
    expect(setup).toContain(`cat > /root/mcsim-lab-src/manifests/services.yaml <<'MCSIM_FILE'\n${readFileSync(`${LAB_DIR}/manifests/services.yaml`, "utf8")}MCSIM_FILE\n`);
    expect(setup).toContain("mcsim lab init /root/mcsim-lab-src/lab.yaml --state /root/mcsim-lab\n");
    expect(Object.keys(files).filter((f) => f.endsWith("assignment.md"))).toEqual(["01-the-service-mesh/assignment.md", "02-dns-federation/assignment.md", "03-a-pod-that-has-dig/assignment.md", "04-multi-cluster-services/assignment.md"]);
    expect(files["03-a-pod-that-has-dig/assignment.md"]).toMatch(/^---\nslug: "a-pod-that-has-dig"\ntype: "challenge"\ntitle: "A pod that has dig"\nteaser: .*\ntabs:\n- title: "Terminal"\n  type: "terminal"\n  hostname: "workstation"\ndifficulty: "basic"\ntimelimit: 900\n---\n\n# A pod that has dig\n/);
    expect(files["04-multi-cluster-services/check-workstation"]).toBe(
      "#!/bin/bash\n# Multi-Cluster Services: my-api-exported, clusterset-name, my-api-answers; Instruqt shows a FAIL: line to the learner.\nif ! reason=$(mcsim lab check /root/mcsim-lab my-api-exported clusterset-name my-api-answers 2>&1); then\n  echo \"FAIL: $reason\"\n  exit 1\nfi\n",
    );
    expect(files["04-multi-cluster-services/solve-workstation"]).toContain("mcsim lab run /root/mcsim-lab <<'MCSIM_SOLUTION'\nkubectl apply -f - <<'MCS'\napiVersion: multicluster.x-k8s.io/v1alpha1\n");
  });
});
