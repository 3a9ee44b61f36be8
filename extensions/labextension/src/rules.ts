// The annotation view rules: groups, motivations, tags, regions and verdicts, as data in
// the echoes package (extensions/echoes/widgets/view.json), which the notebook widgets
// read too. One definition; tests/fixtures/view/ holds golden cases both test suites check.

import view from '../../echoes/widgets/view.json';

export type Group = 'yours' | 'groups' | 'public' | 'others' | 'software';

/** The groups in the order of the lists and legend, with their labels. */
export const GROUPS = view.groups.map(({ key, label }) => ({ key: key as Group, label }));
/** The W3C motivations a person picks from, the default first. */
export const MOTIVATIONS: string[] = view.motivations.offered;
/** The motivation of a verdict on a proposal (Accept/Reject make it; never drawn). */
export const ASSESSING: string = view.motivations.verdict;
/** The motivation of a reply in a thread under an annotation. */
export const REPLYING: string = view.motivations.reply;
/** Each W3C motivation in plain words ("commenting": "Comment"). */
export const MOTIVATION_LABELS: Record<string, string> = view.motivations.labels;
export const VERDICTS: string[] = view.verdicts.values;
export const TAG_SEPARATOR: string = view.tags.separator;
export const XYWH = new RegExp(view.regions.xywh);
