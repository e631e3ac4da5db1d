"""No hand-typed result number in the experiment notebooks' prose (issue 11, "Prose that cannot go stale").

A result stated in a markdown cell goes stale as soon as a rerun changes it, so results are written only by code:
tables through `Outputs`, sentences through `figures.claims_markdown` shown with `IPython.display.Markdown`.
This test reads every markdown cell of `nbs/experiments/*.ipynb` and flags a number written next to a result word
(AUROC, AUC, AUPR, FPR, accuracy, error, share, ratio, success, detection).

The convention for what markdown may still contain:

- **references and settings** are not results and pass: `Table 3`, `Tables 2-4`, `Section 7.3`, `Figure 5`,
  `Figs. 7-10`, `Eq. (2)`, `Appendix 11.3`, `[40]`, `severity 5`, `severities 1..5`, `seed 0`, `windows 25 and 50`,
  `95% TPR`, `95% of the correct predictions`, `FPR@95`, `FPR80`, `top-1`, `CIFAR-10`, `32x32`, and a number
  followed by what it counts (`2 cores`, `1,000 streams`, `150 samples`, `5 seeds`);
- numbers inside inline code, LaTeX math (`$\\alpha = 0.05$`, equations and settings) and links are not prose;
- the reference points 0, 1, 0.5, 50% and 100% (chance, perfect) pass;
- **the paper's own numbers** pass only where they are explicitly marked as the paper's: inside a verbatim quote in
  double quotes ("over 90% of the streams show ... error"), or between the markers `<!-- paper -->` and
  `<!-- /paper -->`. Tables of the paper's values belong in code cells.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((ROOT/'nbs'/'experiments').glob('*.ipynb'))

RESULT_WORD = re.compile(r'(?<![A-Za-z])(?:AUROC|AUC|AUPR|FPR)\w*|\b(?:accurac(?:y|ies)|errors?|shares?|ratios?'
                         r'|success(?:es|ful)?|detections?)\b', re.I)
NUMBER = re.compile(r'(?<![\w.@^_\\])(?<![A-Za-z][-/])[-\u2212+\u00b1]?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*%|\s*percent\b)?'
                    r'(?![\w@]|\.\d|/[A-Za-z])')
_LIST = r'\(?[A-Z]?\d+(?:\.\d+)*[a-z]?\)?'
_SEQ = rf'{_LIST}(?:\s*(?:-|\u2013|\.\.|,|and|or|&|to)\s*{_LIST})*'
_COUNTED = (r'samples?|streams?|images?|inputs?|points?|resamples?|repetitions?|passes|trials?|class(?:es)?|seeds?'
            r'|epochs?|layers?|steps?|windows?|cores?|coresets?|bins?|components?|letters?|digits?|px|pixels?|units?'
            r'|outputs?|batch(?:es)?|minutes?|min|seconds?|hours?|[KMG]i?B|dimensions?|features?|neighbou?rs?|clusters?'
            r'|iterations?|runs?|notebooks?|models?|datasets?|sets?|splits?|domains?|methods?|attacks?|words?'
            r'|keywords?|speakers?|files?|rows?|columns?|parameters?|queries|processes|threads|GPUs?|CPUs?|nodes'
            r'|segments?|changes?|change points?|percentiles?|quantiles?|decimals?|significant|times|fold|bits?'
            r'|channels?|heads?|patches|tokens?|categories|labels?|regressors?|detectors?|baselines?|corruptions?')
_ADJ = (r'original|training|test|validation|clean|shifted|corrupted|attacked|adversarial|random|held-out|labell?ed'
        r'|in-distribution|OOD|new|more|other|distinct|independent|bootstrap|stratified|successful|correct|wrong')
# not prose: neither its words nor its numbers count
NOT_PROSE = [
    r'<!--\s*paper\s*-->.*?<!--\s*/paper\s*-->',                         # the paper's numbers, marked explicitly
    r'"(?:[^"\n]|\n(?![ \t]*\n)){1,400}"|\u201c[^\u201d]{1,400}\u201d',     # verbatim quotes of the paper
    r'<!--.*?-->',                                                       # comments
    r'`[^`\n]*`',                                                        # inline code
    r'\$\$.*?\$\$|\$[^$\n]+\$',                                          # LaTeX
    r'\]\([^)\s]*\)|https?://\S+',                                       # link targets, URLs
]
# references and settings: numbers that are not results (the result words in them still count)
REFERENCES = [
    r'\[\d+(?:\s*[,\u2013-]\s*\d+)*\]',                                  # citations [40]
    r'\barXiv:?\s*\d{4}\.\d{4,5}(?:v\d+)?',
    r'(?:^|(?<=\n))[ \t]*\d+[.)][ \t]',                                      # numbered list items
    r'\b(?:Tables?|Tab\.|Figures?|Figs?\.|Sections?|Secs?\.|\u00a7|Eqs?\.|Equations?|Appendix|Appendices|Algorithms?'
    rf'|Chapters?|Theorems?|Lemmas?|Definitions?|Propositions?|Remarks?|Steps?|Lines?|Parts?)\s*{_SEQ}',
    rf'\b(?:severit(?:y|ies)|seeds?|windows?|levels?|rounds?|stages?|epochs?|layers?|blocks?|groups?|versions?)\s+{_SEQ}',
    r'\d+(?:\.\d+)?\s*%\s*(?:TPR|TNR|true[- ]positive rate|true[- ]negative rate|recall)',
    r'\d+(?:\.\d+)?\s*%\s+(?:[\w-]+\s+){0,2}(?:intervals?|CIs?|confidence|bootstrap)',
    r'(?:\d+(?:\.\d+)?\s*%\s*(?:,|and|or|to)\s*)*\d+(?:\.\d+)?\s*%\s+of\s+(?:the\s+|its\s+|their\s+|a\s+)?'
    r'(?:correct|in-distribution|positives?|trusted|clean|training|test|validation)',
    r'\b(?:FPR|TPR|TNR|AUROC|AUPR)[@_-]?\d+',
    r'\btop-?\d+\b',
    rf'\d+(?:,\d{{3}})*(?:\.\d+)?\s*%?(?:\s*[x\u00d7]\s*\d+)*\s*[-\u2011]?\s*(?:(?:{_ADJ})\s+){{0,2}}(?:{_COUNTED})\b',
    r'\d+\s*[x\u00d7]\s*\d+',
    r'\bv\d+(?:\.\d+)*',
]
NOT_PROSE_RE = re.compile('|'.join(f'(?:{a})' for a in NOT_PROSE), re.I | re.S)
REFERENCES_RE = re.compile('|'.join(f'(?:{a})' for a in REFERENCES), re.I | re.S)
REFERENCE_POINTS = {'0', '1', '0.5', '50%', '100%', '50 %', '100 %'}
NEAR = 40


def _blank(m: re.Match) -> str:
    return re.sub(r'\S', ' ', m.group(0))


def hand_typed_numbers(text: str) -> list[str]:
    "The numbers of `text` that sit within NEAR characters of a result word, outside what the convention allows."
    prose = NOT_PROSE_RE.sub(_blank, text)
    words = [(w.start(), w.end()) for w in RESULT_WORD.finditer(prose)]
    hits = []
    for m in NUMBER.finditer(REFERENCES_RE.sub(_blank, prose)):
        num = m.group(0).lstrip('+')
        if num in REFERENCE_POINTS: continue
        if any(m.start() - e <= NEAR and s - m.end() <= NEAR for s, e in words):
            hits.append(f"{num!r} in ...{text[max(0, m.start() - 50):m.end() + 30]!s}...".replace('\n', ' '))
    return hits


@pytest.mark.parametrize('text', [
    'AUROC on Table 3 and Tables 2-4, Section 7.3, Figure 5, Figs. 7-10 and 27-40, Eq. (2), Appendix 11.3 [40].',
    'the FPR at 95% TPR (FPR@95, FPR95, FPR80) of the errors; top-1 and top-3 accuracy on CIFAR-10 and CIFAR-100',
    'AUROC against corruption severity 5 and severities 1..5; the error over 1,000 streams of 10,000 samples',
    'detection error on 2 cores with 5 seeds, 150 samples per class, 32x32 images, windows 25 and 50, seed 0',
    'the AUROC (0.5 is chance, 1 is perfect); the threshold keeps 95% of the correct predictions; 2% of the training set',
    'a 95% interval of the AUROC; `metric_ci(a, b, "fpr@95")` and $\\alpha = 0.05$ for the error; arXiv 2207.11290',
    'the abstract: "over 90% of the streams show [less than 20%] error for all domains"',
    '<!-- paper -->The paper reports an AUROC of 0.97 on SVHN.<!-- /paper --> Ours is in the table below.',
    'Stream error for windows 25 and 50; the success rate of BIM is in Table I',
])
def test_references_pass(text):
    assert hand_typed_numbers(text) == []


@pytest.mark.parametrize('text', [
    'TRUST-LAPSE reaches an AUROC of 0.78 on Fashion-MNIST.',
    'The classifier has 78% accuracy.',
    'detection error 49.3 against 51.2 for MSP',
    'the error drops from 12.5 to 9.1',
    'the confident share is 0.974 and the distance ratio 1.53',
    'MACS beats MSP on BIM/PGD (0.686/0.694 vs 0.413/0.488) in AUROC',
    'FPR95 of 0.35 for the best method',
    'attack success: 97% of the originals',
    'AUC = 0.91',
    '95% of streams under 20% error',
])
def test_results_are_flagged(text):
    assert hand_typed_numbers(text), text


def _markdown_cells(nb: Path):
    cells = json.loads(nb.read_text())['cells']
    for i, c in enumerate(cells):
        if c['cell_type'] == 'markdown':
            yield i, ''.join(c['source']) if isinstance(c['source'], list) else c['source']


@pytest.mark.parametrize('nb', EXPERIMENTS, ids=[p.name for p in EXPERIMENTS])
def test_no_hand_typed_results_in_markdown(nb):
    bad = [f"cell {i}: {h}" for i, text in _markdown_cells(nb) for h in hand_typed_numbers(text)]
    assert not bad, (f"{nb.name}: hand-typed result numbers in markdown (generate them from a table with "
                     f"figures.claims_markdown / IPython.display.Markdown, or mark the paper's numbers):\n" + '\n'.join(bad))
