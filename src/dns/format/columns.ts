/**
 * dig's record and question lines (BIND 9.18 `lib/dns/masterdump.c`, dns.md §6.1). dig's style
 * puts the TTL at column 24, the class at 32, the type at 40 and the RDATA at 48, with tabs 8
 * wide. `indent` moves from the current column to the target: at least one position; as many
 * tabs as tab stops are crossed, then spaces for the rest. So long Kubernetes owners get single
 * spaces (`…local. 30 IN A 10.102.13.85`) and short ones tabs (`google.com.\t\t300\tIN\tA\t…`).
 */

import type { Answer, Question } from "../message.js";
import { nameText } from "./names.js";
import { classText, rdataText, typeText } from "./rdata.js";

const TAB_WIDTH = 8;
/** dig's style (dig.c printmessage: `dns_master_stylecreate(…, 24, 32, 40, 48, 80, 8, …)`). */
const COLUMN = { ttl: 24, class: 32, type: 40, rdata: 48 } as const;

/** Builds a line field by field, moving to each field's column as masterdump.c's `indent` does. */
class Line {
  private text: string;
  private column: number;

  constructor(first: string) {
    this.text = first;
    this.column = first.length;
  }

  /** Appends `field` at `target` (or one position on, when the line is already past it). */
  at(target: number, field: string): this {
    const to = Math.max(target, this.column + 1);
    const tabs = Math.floor(to / TAB_WIDTH) - Math.floor(this.column / TAB_WIDTH);
    const from = tabs > 0 ? Math.floor(to / TAB_WIDTH) * TAB_WIDTH : this.column;
    this.text += "\t".repeat(tabs) + " ".repeat(to - from) + field;
    this.column = to + field.length;
    return this;
  }

  toString(): string {
    return this.text;
  }
}

/** A record as dig prints it in a section: `owner TTL CLASS TYPE RDATA`, aligned. */
export function recordLine(record: Exclude<Answer, { type: "OPT" }>): string {
  return new Line(nameText(record.name, { absolute: true }))
    .at(COLUMN.ttl, String(record.ttl ?? 0))
    .at(COLUMN.class, classText(record.class))
    .at(COLUMN.type, typeText(record.type))
    .at(COLUMN.rdata, rdataText(record))
    .toString();
}

/**
 * A question as dig prints it: `;name. CLASS TYPE`. The `;` comes before the columns are
 * counted (dns_message_sectiontotext writes it, question_totext starts at column 0).
 */
export function questionLine(question: Question): string {
  const line = new Line(nameText(question.name, { absolute: true }))
    .at(COLUMN.class, classText(question.class))
    .at(COLUMN.type, typeText(question.type));
  return `;${line.toString()}`;
}
