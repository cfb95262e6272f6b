"""The operator inbox: the team's side of every contact's conversation — the list, the thread, what an
operator does in it, who may see what, and response times."""
