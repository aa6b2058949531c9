FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY companion ./companion
COPY jobs ./jobs
COPY migrations ./migrations
RUN pip install --no-cache-dir -e .
EXPOSE 8000
CMD ["companion", "serve", "--host", "0.0.0.0", "--port", "8000", "--migrate"]
