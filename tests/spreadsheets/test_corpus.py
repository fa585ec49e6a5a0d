"""Every corpus workbook ends in a clear answer: read, or refused in words; hostile ones fast, in bounded memory.

Each file is first read in a child process limited to 1 GiB of address space (a regression that
builds a dense grid fails the test there instead of killing the runner), then previewed through
the API as a manager would.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spreadsheets.corpus.build import EXPECTED, HERE

FILES = sorted(path.name for path in HERE.iterdir() if path.name in EXPECTED)
LIMIT = 1 << 30
CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.reader import read_upload
data = open(sys.argv[1], "rb").read()
started = time.process_time()
try:
    sheet = read_upload(data, sys.argv[1], mode="delivery", max_rows=100_000)
    answer = {{"answer": "read", "rows": len(sheet.row_numbers), "message": ""}}
except WorkbookRefused as refused:
    answer = {{"answer": "refused", "message": refused.message}}
answer["seconds"] = time.process_time() - started
print(json.dumps(answer))
"""


def read_in_a_child(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD.format(limit=LIMIT), str(path)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, f"{path.name}: exit {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def test_the_corpus_is_all_there():
    assert set(FILES) == set(EXPECTED)


@pytest.mark.parametrize("name", FILES)
def test_each_corpus_file_is_read_or_refused_in_words_quickly_in_bounded_memory(name):
    answer, words = EXPECTED[name]
    found = read_in_a_child(HERE / name)
    print(f"{name}: {found['answer']} in {found['seconds'] * 1000:.0f} ms CPU: {found['message']}")
    assert found["answer"] == answer, found
    assert words in found["message"]
    assert found["seconds"] < 1.0


@pytest.fixture
def manager(api_token):
    return {"Authorization": f"Bearer {api_token('manager')[1]}"}


@pytest.mark.parametrize("name", FILES)
def test_each_corpus_file_previewed_through_the_api_answers_clearly(client, manager, name):
    answer, words = EXPECTED[name]
    read_in_a_child(HERE / name)  # safe to read in this process
    form = {"file": (io.BytesIO((HERE / name).read_bytes()), name), "mode": "delivery", "dry_run": "true"}
    response = client.post("/api/v1/stock/imports", data=form, headers=manager, content_type="multipart/form-data")
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:500]
    body = response.get_json()
    if answer == "refused":
        assert response.status_code == 422 and words in body["message"]
    else:  # no such product in this catalogue: cell errors naming rows, or a summary
        assert response.status_code == 200 or all(error["row"] for error in body["errors"])


