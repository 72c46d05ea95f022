import './logo.css';

/**
 * Latchkey's mark: a key through a latch's ring, drawn in `currentColor` (it takes the colour of
 * the text around it). The picture is aria-hidden: the name beside it says what it is, and
 * `name={false}` leaves the naming to the caller (a link that already reads "Latchkey").
 */
export function Logo({ name = true, size = '1.5em' }: { name?: boolean; size?: string }) {
  return (
    <span className="logo">
      <svg
        className="logo-mark"
        viewBox="0 0 24 24"
        width={size}
        height={size}
        aria-hidden="true"
        focusable="false"
        fill="none"
        stroke="currentColor"
        strokeWidth={2}
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        <rect x={2} y={2} width={20} height={20} rx={5} />
        <circle cx={8.5} cy={12} r={3} />
        <path d="M11.5 12h7M16.5 12v2.5M18.5 12v2" />
      </svg>
      {name && <span className="logo-name">Latchkey</span>}
    </span>
  );
}
