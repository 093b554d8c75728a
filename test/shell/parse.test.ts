import { describe, expect, it } from "vitest";
import { expandWord, IncompleteInput, parseScript, ShellSyntaxError } from "../../src/shell/parse.js";

const words = (text: string, vars: Record<string, string> = {}) => parseScript(text).flatMap((l) => l.first.map((c) => c.words.map((w) => expandWord(w, (n) => vars[n]))));

describe("the lab shell's parser", () => {
  it("splits words on blanks and keeps quoted blanks, single quotes literal and double quotes expanding", () => {
    expect(words(`kubectl get pods  -l 'app in (a, b)'`)).toEqual([["kubectl", "get", "pods", "-l", "app in (a, b)"]]);
    expect(words(`echo "ns: $NS" '$NS' \\$NS`, { NS: "production" })).toEqual([["echo", "ns: production", "$NS", "$NS"]]);
    expect(words(`echo a\\ b "x\\"y" 'it'\\''s' "" ''`)).toEqual([["echo", "a b", 'x"y', "it's", "", ""]]);
    expect(words(`echo \${NS}-1 $NS.svc $ end`, { NS: "p" })).toEqual([["echo", "p-1", "p.svc", "$", "end"]]);
    expect(words(`echo $UNSET.x`)).toEqual([["echo", ".x"]]);
  });

  it("reads comments, ;, newlines and backslash-newline continuations", () => {
    const s = parseScript("# a comment\nkubectl get pods # trailing\necho a; echo b\nkubectl get \\\n  svc\necho a#b\n");
    expect(s.map((l) => l.first[0]!.words.map((w) => expandWord(w, () => undefined)))).toEqual([["kubectl", "get", "pods"], ["echo", "a"], ["echo", "b"], ["kubectl", "get", "svc"], ["echo", "a#b"]]);
  });

  it("joins pipelines with && and || and commands with |, a newline after an operator continuing the list", () => {
    const [list] = parseScript("kubectl get pods | grep web | wc -l && echo yes ||\n echo no");
    expect(list!.first.map((c) => c.words.length)).toEqual([3, 2, 2]);
    expect(list!.rest.map((r) => r.op)).toEqual(["&&", "||"]);
    expect(parseScript("a && b; c")).toHaveLength(2);
  });

  it("reads a here-document as the command's stdin: <<'EOF' literal, <<EOF expanding, <<- stripping tabs", () => {
    const [quoted, plain, stripped] = parseScript("kubectl apply -f - <<'MCS'\nname: $NAME\nMCS\ncat <<EOF | grep x\nname: $NAME \\$x\nEOF\ncat <<-END\n\t\tindented\n\tEND\n");
    expect(expandWord(quoted!.first[0]!.stdin!.body, () => "my-api")).toBe("name: $NAME\n");
    expect(expandWord(plain!.first[0]!.stdin!.body, () => "my-api")).toBe("name: my-api $x\n");
    expect(plain!.first).toHaveLength(2);
    expect(expandWord(stripped!.first[0]!.stdin!.body, () => undefined)).toBe("indented\n");
  });

  it("asks for more input inside quotes, here-documents, after |, && or || and after a trailing backslash", () => {
    for (const text of ["echo 'a\n", 'echo "a\n', "cat <<EOF\nline\n", "kubectl get pods |\n", "a &&\n", "a ||", "kubectl get \\\n"]) {
      expect(() => parseScript(text), text).toThrow(IncompleteInput);
    }
    expect(() => parseScript("cat <<EOF\nline\n")).toThrow("the here-document <<EOF is not closed: end it with a line holding only EOF");
  });

  it("refuses what it does not support with a one-line message naming it", () => {
    const cases: [string, string][] = [
      ["kubectl get pods > pods.txt", "redirecting output to a file (>) is not supported"],
      ["kubectl get pods 2>&1", "redirecting output to a file (>) is not supported"],
      ["kubectl apply -f - < x.yaml", "reading a file with < is not supported"],
      ["(cd x; ls)", "subshells and grouping with ( ) are not supported"],
      ["echo $(date)", "command substitution ($(...) and `...`) is not supported"],
      ["echo `date`", "command substitution"],
      ["ls *.yaml", "filename patterns (*) are not supported, the lab shell has no files: quote the word, as in '*.yaml'"],
      ["sleep 100 &", "running commands in the background (&) is not supported"],
      ["cat <<<x", "here-strings (<<<) are not supported"],
      ["&& echo", "syntax error near unexpected token `&&'"],
      ["echo a | | b", "syntax error near unexpected token `|'"],
      ["echo a;;", "syntax error near unexpected token `;'"],
    ];
    for (const [text, message] of cases) {
      let thrown: unknown;
      try {
        parseScript(text);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, text).toBeInstanceOf(ShellSyntaxError);
      expect(thrown, text).not.toBeInstanceOf(IncompleteInput);
      expect((thrown as Error).message, text).toContain(message);
      expect((thrown as Error).message).not.toContain("\n");
    }
  });

  it("keeps $? for the runner to expand, and quoted * and ? as text", () => {
    expect(words(`echo $? "\${?}" '*' "a?"`, { "?": "3" })).toEqual([["echo", "3", "3", "*", "a?"]]);
  });
});
