"""Who may receive what: the web's roles applied to subscriptions, with the workspace's unit lookups.

A subscription without a user belongs to the office and may cover any unit (only an administrator or the
command line creates one). A subscription of a web user follows that user's scope *as it is now*: office staff
and administrators see every unit; a unit viewer sees its unit and the units below it. The same check runs
when a subscription is added (command line, web) and again before every send, so a viewer moved to another
unit, or disabled, stops receiving the old unit's messages.
"""

from __future__ import annotations

from chiso.accounts import Accounts, User
from chiso.workspace import Workspace


def within(ws: Workspace, unit: str, root: str) -> bool:
    """Is ``unit`` the unit ``root`` or below it in the store's unit tree (under any of their codes)?"""
    tree = ws.unit_tree()
    if tree.get(root) is None or tree.get(unit) is None:
        return False
    return unit in tree.subtree_codes(root)


def refusal(ws: Workspace, accounts: Accounts, username: str | None, unit: str) -> str | None:
    """Why the user ``username`` may not receive messages about ``unit``; None when it may."""
    if username is None:
        return None
    user: User | None = accounts.get(username)
    if user is None:
        return f"tài khoản {username} không tồn tại hoặc đã bị khóa"
    if user.whole_scope:
        return None
    if user.unit and within(ws, unit, user.unit):
        return None
    return f"đơn vị {unit} nằm ngoài phạm vi của tài khoản {user.username} (chỉ {user.unit or 'không có đơn vị'} " \
           "và các đơn vị trực thuộc)"  # fmt: skip
