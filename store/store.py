"""Stage only my edit of FILE: apply EDIT (old->new pairs) to HEAD's version and git apply --cached."""
import subprocess, sys, json, tempfile, os
path, edits = sys.argv[1], json.loads(sys.argv[2])
head = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, text=True, check=True).stdout
new = head
for old, rep in edits:
    assert new.count(old) == 1, (path, old)
    new = new.replace(old, rep)
with tempfile.TemporaryDirectory() as d:
    a = os.path.join(d, "a"); b = os.path.join(d, "b")
    open(a, "w").write(head); open(b, "w").write(new)
    diff = subprocess.run(["diff", "-u", "--label", f"a/{path}", "--label", f"b/{path}", a, b], capture_output=True, text=True).stdout
print(diff)
subprocess.run(["git", "apply", "--cached", "-"], input=diff, text=True, check=True)
