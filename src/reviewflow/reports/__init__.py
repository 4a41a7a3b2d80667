"""Reports read the store and never write it: PRISMA 2020 flow diagram, tables, figures."""
