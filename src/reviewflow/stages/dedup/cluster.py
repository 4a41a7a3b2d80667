"""Step 5: join duplicate pairs into groups without chaining distinct records.

Plain union-find is transitive: A~B and B~C puts A with C even when A and C are two
different papers that each resemble B (an abstract-only record, say). Before two groups
are joined every cross pair is checked for a hard conflict or a person's "not a
duplicate"; if any is found the join is refused and the bridging pair goes to the review
queue instead. Strong pairs are joined first so that a weak bridge meets formed groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

#: Groups larger than this are not joined automatically; checking them is a person's job.
MAX_GROUP = 60


class Groups:
    """Union-find over row indices that keeps each group's member list."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def group(self, x: int) -> list[int]:
        root = self.find(x)
        return self.members.get(root, [root])

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        ma, mb = self.members.pop(ra, [ra]), self.members.pop(rb, [rb])
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        self.parent[rb] = ra
        ma.extend(mb)
        self.members[ra] = ma

    def all_groups(self) -> Iterable[list[int]]:
        return (m for m in self.members.values() if len(m) > 1)


def try_join(
    groups: Groups,
    a: int,
    b: int,
    compatible: Callable[[int, int], bool],
) -> bool:
    """Join the groups of ``a`` and ``b`` if every cross pair is compatible."""
    ga, gb = groups.group(a), groups.group(b)
    if ga is gb or groups.find(a) == groups.find(b):
        return True
    if len(ga) + len(gb) > MAX_GROUP:
        return False
    for x in ga:
        for y in gb:
            if not compatible(x, y):
                return False
    groups.union(a, b)
    return True
