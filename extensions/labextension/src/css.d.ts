// Style sheets imported for their effect (webpack and esbuild bundle them).
declare module '*.css';
