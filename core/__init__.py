"""The bottom layer every app may use: shared infrastructure that belongs to no one domain.

Nothing here imports a civicnet app (members, vitals, events, blog, newsletter, library)
or the project package `civicnet`.
"""
